/**
 * Revocast for Hono on Node.js: middleware that sets `c.var.auth`.
 *
 * @packageDocumentation
 */
export { honoAuth, type HonoAuthEnv, type HonoAuthOptions } from './hono-auth.js';
