import type { CookieOptions, Request, Response } from 'express';
import type { Credentials } from '../auth/session-manager.js';

export const ACCESS_COOKIE = 'access_token';
export const REFRESH_COOKIE = 'refresh_token';
export const CSRF_COOKIE = 'csrf';

/** The value of cookie `name` on the request, or `undefined`. */
export function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}

/** HttpOnly (no script reads it), `Secure` when the request came over HTTPS, `SameSite=Lax` (not sent on cross-site posts). */
export function cookieOptions(req: Request): CookieOptions {
  return { httpOnly: true, secure: req.secure, sameSite: 'lax', path: '/' };
}

/**
 * Puts a sign-in in the browser. The access cookie lasts for the browser
 * session: the token's own `exp` decides when it stops working, and the
 * app refreshes it then. The refresh cookie lasts as long as the token.
 */
export function setCredentialCookies(req: Request, res: Response, credentials: Credentials, refreshTtlSeconds: number): void {
  const options = cookieOptions(req);
  res.cookie(ACCESS_COOKIE, credentials.accessToken, options);
  if (credentials.refreshToken !== undefined) {
    res.cookie(REFRESH_COOKIE, credentials.refreshToken, { ...options, maxAge: refreshTtlSeconds * 1000 });
  }
}

export function clearCredentialCookies(req: Request, res: Response): void {
  const options = cookieOptions(req);
  res.clearCookie(ACCESS_COOKIE, options);
  res.clearCookie(REFRESH_COOKIE, options);
}
