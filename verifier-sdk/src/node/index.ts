/**
 * Revocast for a plain `node:http` server.
 *
 * @packageDocumentation
 */
export { nodeAuth, type NodeAuthOptions } from './node-auth.js';
export { writeAuthError } from './write-auth-error.js';
