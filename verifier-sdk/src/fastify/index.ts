/**
 * Revocast for Fastify: a plugin that sets `request.auth`.
 *
 * @packageDocumentation
 */
export { fastifyAuth, type FastifyAuthOptions } from './fastify-auth.js';
