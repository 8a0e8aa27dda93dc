/**
 * Revocast for Koa: middleware that sets `ctx.state.auth`.
 *
 * @packageDocumentation
 */
export { koaAuth, type KoaAuthContext, type KoaAuthOptions } from './koa-auth.js';
