import type { RequestHandler } from 'express';
import type { SessionManager } from '../auth/session-manager.js';

/** What the page routes share. */
export interface RouteContext {
  readonly sessions: SessionManager;
  /** Seconds; the refresh cookie's lifetime. */
  readonly refreshTokenTtl: number;
  /** Sets `res.locals.user` (refreshing when due) or `res.locals.signedOut`. */
  readonly loadSession: RequestHandler;
  /** `loadSession`, then a redirect to the sign-in page unless signed in. */
  readonly signedIn: readonly RequestHandler[];
}

/** A form field as one string of at most `max` characters, or `undefined` (missing, repeated or too long). */
export function formField(body: unknown, name: string, max: number): string | undefined {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' && value.length <= max ? value : undefined;
}
