import type { Request, RequestHandler, Response } from 'express';
import type { CurrentUser, SessionManager, SignedOutReason } from '../auth/session-manager.js';
import { ACCESS_COOKIE, REFRESH_COOKIE, clearCredentialCookies, readCookie, setCredentialCookies } from './cookies.js';

declare global {
  namespace Express {
    interface Locals {
      /** The signed-in user, set by `loadSession`. */
      user?: CurrentUser;
      /** Why the request is not signed in, set by `loadSession`. */
      signedOut?: SignedOutReason;
      csrfToken?: string;
    }
  }
}

/**
 * Sets `res.locals.user` from the cookies, refreshing an expired access token
 * transparently (new cookies go out with this response). When the request
 * is not signed in, clears the cookies and sets `res.locals.signedOut`.
 */
export function loadSession(sessions: SessionManager, refreshTtlSeconds: number): RequestHandler {
  return async (req, res, next) => {
    const accessToken = readCookie(req, ACCESS_COOKIE);
    const refreshToken = readCookie(req, REFRESH_COOKIE);
    const result = await sessions.authenticate(accessToken, refreshToken);
    if (result.ok) {
      if (result.renewed !== undefined) setCredentialCookies(req, res, result.renewed, refreshTtlSeconds);
      res.locals.user = result.user;
    } else {
      if (accessToken !== undefined || refreshToken !== undefined) clearCredentialCookies(req, res);
      res.locals.signedOut = result.reason;
    }
    next();
  };
}

/** After `loadSession`: sends a request that is not signed in to the sign-in page, saying why. */
export const requireUser: RequestHandler = (_req: Request, res: Response, next) => {
  if (res.locals.user !== undefined) return next();
  const reason = res.locals.signedOut;
  res.redirect(303, reason === undefined || reason === 'missing' ? '/login' : `/login?m=${reason}`);
};

/** The user `requireUser` let through. */
export function currentUser(res: Response): CurrentUser {
  return res.locals.user as CurrentUser;
}
