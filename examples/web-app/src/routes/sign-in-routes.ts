import { Router } from 'express';
import { clearCredentialCookies, setCredentialCookies } from '../http/cookies.js';
import { currentUser } from '../http/require-session.js';
import { notice } from '../pages/layout.js';
import { loginPage } from '../pages/login-page.js';
import { formField, type RouteContext } from './route-context.js';

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/** A device name as the user typed it, tidied: one line, at most 60 characters. */
function deviceName(value: string | undefined): string {
  const name = (value ?? '').replace(CONTROL, ' ').replace(/\s+/g, ' ').trim().slice(0, 60);
  return name === '' ? 'unnamed device' : name;
}

/** `/login` and `/sign-out`. */
export function signInRoutes(context: RouteContext): Router {
  const { sessions } = context;
  const router = Router();

  router.get('/login', context.loadSession, (req, res) => {
    if (res.locals.user !== undefined) return res.redirect(303, '/');
    res.send(loginPage({ csrfToken: res.locals.csrfToken as string, notice: notice(req.query.m) }));
  });

  router.post('/login', async (req, res) => {
    const username = formField(req.body, 'username', 64)?.trim();
    const password = formField(req.body, 'password', 200);
    const device = formField(req.body, 'device', 200);
    const csrfToken = res.locals.csrfToken as string;
    if (!username || !password) {
      res.status(400).send(loginPage({ csrfToken, error: 'Enter a user name and a password.', username, deviceName: device }));
      return;
    }
    const credentials = await sessions.signIn(username, password, deviceName(device));
    if (credentials === null) {
      res.status(401).send(loginPage({ csrfToken, error: 'Unknown user or wrong password.', username, deviceName: device }));
      return;
    }
    setCredentialCookies(req, res, credentials, context.refreshTokenTtl);
    res.redirect(303, '/');
  });

  router.post('/sign-out', ...context.signedIn, async (req, res) => {
    const user = currentUser(res);
    await sessions.signOutDevice(user.sub, user.sid);
    clearCredentialCookies(req, res);
    res.redirect(303, '/login?m=signed-out');
  });

  return router;
}
