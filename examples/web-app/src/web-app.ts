import { randomUUID } from 'node:crypto';
import express, { type Express } from 'express';
import { SignJWT } from 'jose';
import { authErrorHandler, requireAuth, type Verifier } from '@revocast/verifier-sdk';

export interface WebAppDeps {
  readonly verifier: Verifier;
  /** HS256 secret shared by every instance of the app. */
  readonly signingSecret: string;
  /** Access token lifetime in seconds. Default 900. */
  readonly accessTokenTtl?: number;
}

/** Demo users. Passwords are for the demo only. */
const USERS: Record<string, string> = { alice: 'alice-password', bob: 'bob-password' };

/** An example web server protected by Revocast. */
export function createWebApp(deps: WebAppDeps): Express {
  const key = new TextEncoder().encode(deps.signingSecret);
  const ttl = deps.accessTokenTtl ?? 900;
  const app = express();
  app.disable('x-powered-by');

  // Returns a bare access token, so `TOKEN=$(curl …)` works.
  app.post('/api/token', express.urlencoded({ extended: false, limit: '4kb' }), async (req, res) => {
    const { username, password } = (req.body ?? {}) as Record<string, unknown>;
    if (typeof username !== 'string' || USERS[username] === undefined || USERS[username] !== password) {
      res.status(401).type('text/plain').send('unknown user or wrong password\n');
      return;
    }
    const now = Date.now() / 1000;
    // iat to the millisecond: a login right after "sign out everywhere" is told apart from tokens before it.
    const token = await new SignJWT({ sid: randomUUID() })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(username)
      .setJti(randomUUID())
      .setIssuedAt(now)
      .setExpirationTime(Math.floor(now) + ttl)
      .sign(key);
    res.type('text/plain').send(token);
  });

  app.get('/api/hello', requireAuth(deps.verifier), (req, res) => {
    res.json({ message: `hello ${req.auth?.sub}`, sid: req.auth?.sid });
  });

  app.use(authErrorHandler());
  return app;
}
