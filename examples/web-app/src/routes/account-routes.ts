import { Router } from 'express';
import { setCredentialCookies } from '../http/cookies.js';
import { currentUser } from '../http/require-session.js';
import { homePage } from '../pages/home-page.js';
import { notice } from '../pages/layout.js';
import { passwordPage } from '../pages/password-page.js';
import { formField, type RouteContext } from './route-context.js';

const MIN_PASSWORD_LENGTH = 8;

/** The start page, "sign out everywhere" and "change password". */
export function accountRoutes(context: RouteContext): Router {
  const { sessions } = context;
  const router = Router();

  router.get('/', ...context.signedIn, async (req, res) => {
    const user = currentUser(res);
    const session = await sessions.session(user.sid);
    res.send(homePage({ csrfToken: res.locals.csrfToken as string, sub: user.sub, session, notice: notice(req.query.m) }));
  });

  router.post('/sign-out-everywhere', ...context.signedIn, async (req, res) => {
    const credentials = await sessions.signOutEverywhere(currentUser(res));
    setCredentialCookies(req, res, credentials, context.refreshTokenTtl);
    res.redirect(303, '/?m=signed-out-everywhere');
  });

  router.get('/password', ...context.signedIn, (_req, res) => {
    res.send(passwordPage({ csrfToken: res.locals.csrfToken as string }));
  });

  router.post('/password', ...context.signedIn, async (req, res) => {
    const csrfToken = res.locals.csrfToken as string;
    const current = formField(req.body, 'current', 200);
    const next = formField(req.body, 'next', 200);
    if (!current || next === undefined || next.length < MIN_PASSWORD_LENGTH) {
      res
        .status(400)
        .send(passwordPage({ csrfToken, error: `Enter your current password and a new one of ${MIN_PASSWORD_LENGTH} to 200 characters.` }));
      return;
    }
    const result = await sessions.changePassword(currentUser(res), current, next);
    if (result === 'wrong-password') {
      res.status(400).send(passwordPage({ csrfToken, error: 'The current password is wrong. Nothing was changed.' }));
      return;
    }
    setCredentialCookies(req, res, result, context.refreshTokenTtl);
    res.redirect(303, '/?m=password-changed');
  });

  return router;
}
