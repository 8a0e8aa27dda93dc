import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { CSRF_COOKIE, cookieOptions, readCookie } from './cookies.js';

/** The form field that carries the token. */
export const CSRF_FIELD = '_csrf';

/** Thrown for a state-changing request that is not from one of the app's own forms. */
export class CsrfError extends Error {
  readonly code = 'ERR_CSRF';
  readonly status = 403;

  constructor(message: string) {
    super(message);
    this.name = 'CsrfError';
  }
}

function sameOrigin(req: Request): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true; // Not sent by every client; the token still has to match.
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

/**
 * CSRF protection for the HTML forms, as a signed double-submit cookie: a
 * random nonce in an HttpOnly cookie, and in every form an HMAC of it under
 * the app's secret, which another site can neither read nor forge. Shared
 * secret, no server state: any instance checks a form another one rendered.
 * POSTs must also come from the app's own origin when the browser says
 * where they come from. `res.locals.csrfToken` is the token for forms.
 */
export function csrfProtection(secret: string): RequestHandler {
  const tokenFor = (nonce: string) => createHmac('sha256', secret).update(`csrf:${nonce}`).digest();

  return (req, res, next) => {
    let nonce = readCookie(req, CSRF_COOKIE);
    if (req.method === 'POST') {
      const presented = (req.body as Record<string, unknown> | undefined)?.[CSRF_FIELD];
      const expected = nonce === undefined ? undefined : tokenFor(nonce);
      const given = typeof presented === 'string' ? Buffer.from(presented, 'base64url') : undefined;
      if (!sameOrigin(req)) throw new CsrfError('the form was posted from another site');
      if (expected === undefined || given === undefined || given.length !== expected.length || !timingSafeEqual(given, expected)) {
        throw new CsrfError('the form is missing its CSRF token or it does not match');
      }
    }
    if (nonce === undefined) {
      nonce = randomBytes(18).toString('base64url');
      res.cookie(CSRF_COOKIE, nonce, cookieOptions(req));
    }
    res.locals.csrfToken = tokenFor(nonce).toString('base64url');
    next();
  };
}
