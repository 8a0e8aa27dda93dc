import express, { Router } from 'express';
import { authErrorHandler, requireAuth, type Verifier } from '@revocast/verifier-sdk';
import type { SessionManager } from '../auth/session-manager.js';
import { formField } from './route-context.js';

/**
 * The JSON API the curl lines of `npm start` use. No cookies are involved,
 * so no CSRF check: a token is only ever handed back to the caller.
 */
export function apiRoutes(sessions: SessionManager, verifier: Verifier): Router {
  const router = Router();

  // Answers with the bare access token, so `TOKEN=$(curl …)` works. The sign-in is listed under "My devices".
  router.post('/token', express.urlencoded({ extended: false, limit: '4kb' }), async (req, res) => {
    const username = formField(req.body, 'username', 64)?.trim();
    const password = formField(req.body, 'password', 200);
    const credentials = username && password ? await sessions.signIn(username, password, 'API token (curl)', { withRefresh: false }) : null;
    if (credentials === null) {
      res.status(401).type('text/plain').send('unknown user or wrong password\n');
      return;
    }
    res.type('text/plain').send(credentials.accessToken);
  });

  router.get('/hello', requireAuth(verifier), (req, res) => {
    res.json({ message: `hello ${req.auth?.sub}`, sid: req.auth?.sid });
  });

  router.use(authErrorHandler());
  return router;
}
