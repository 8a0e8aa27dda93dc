import { Router } from 'express';
import { clearCredentialCookies } from '../http/cookies.js';
import { currentUser } from '../http/require-session.js';
import { devicesPage } from '../pages/devices-page.js';
import { errorPage } from '../pages/error-page.js';
import { notice } from '../pages/layout.js';
import { formField, type RouteContext } from './route-context.js';

/** "My devices" and signing out one of them. */
export function deviceRoutes(context: RouteContext): Router {
  const { sessions } = context;
  const router = Router();

  router.get('/devices', ...context.signedIn, async (req, res) => {
    const user = currentUser(res);
    const list = await sessions.devices(user.sub);
    res.send(devicesPage({ csrfToken: res.locals.csrfToken as string, sessions: list, currentSid: user.sid, notice: notice(req.query.m) }));
  });

  router.post('/devices/sign-out', ...context.signedIn, async (req, res) => {
    const user = currentUser(res);
    const sid = formField(req.body, 'sid', 256);
    if (!sid || !(await sessions.signOutDevice(user.sub, sid))) {
      res.status(404).send(errorPage('No such device', 'That device is not signed in to your account (any more).'));
      return;
    }
    if (sid === user.sid) {
      clearCredentialCookies(req, res);
      res.redirect(303, '/login?m=signed-out');
      return;
    }
    res.redirect(303, '/devices?m=device-signed-out');
  });

  return router;
}
