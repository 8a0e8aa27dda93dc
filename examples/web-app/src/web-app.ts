import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import { RevocastError, type Logger, type Verifier } from '@revocast/verifier-sdk';
import { createSessionManager } from './auth/session-manager.js';
import { CsrfError, csrfProtection } from './http/csrf.js';
import { loadSession, requireUser } from './http/require-session.js';
import { errorPage } from './pages/error-page.js';
import { RevocationServiceError, type RevocationClient } from './revocation-client.js';
import { accountRoutes } from './routes/account-routes.js';
import { apiRoutes } from './routes/api-routes.js';
import { deviceRoutes } from './routes/device-routes.js';
import type { RouteContext } from './routes/route-context.js';
import { signInRoutes } from './routes/sign-in-routes.js';
import type { AppStore } from './store/app-store.js';

export interface WebAppDeps {
  readonly verifier: Verifier;
  /** Users, sessions and refresh tokens; shared by every instance (Redis) or this process only (memory). */
  readonly store: AppStore;
  /** Where revocations go: the revocation service's admin API. */
  readonly revocations: RevocationClient;
  /** HS256 secret shared by every instance of the app: it signs access tokens and CSRF tokens. */
  readonly signingSecret: string;
  /** Access token lifetime in seconds. Default 900. */
  readonly accessTokenTtl?: number;
  /** Refresh token lifetime in seconds, at most the service's REVOCAST_MAX_TOKEN_TTL. Default 86400. */
  readonly refreshTokenTtl?: number;
  /** Express `trust proxy`, so that `Secure` cookies are set behind a TLS-terminating proxy. Default false. */
  readonly trustProxy?: boolean | number | string;
  readonly logger?: Logger;
  /** Epoch milliseconds now; for tests. */
  readonly clock?: () => number;
}

const QUIET: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** Pages are private and never framed or cached. */
const securityHeaders: RequestHandler = (_req, res, next) => {
  res.set({
    'Cache-Control': 'no-store',
    'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    'Referrer-Policy': 'same-origin',
    'X-Content-Type-Options': 'nosniff',
  });
  next();
};

function pageErrors(logger: Logger): ErrorRequestHandler {
  return (err: unknown, _req, res, _next) => {
    if (err instanceof CsrfError) {
      res.status(403).send(errorPage('Form refused', `${err.message}. Go back, reload the page and try again.`));
    } else if (err instanceof RevocationServiceError) {
      logger.error({ err: { message: err.message } }, 'revocation service unavailable');
      const why = err.answered === undefined ? 'could not be reached' : 'refused the change (the log says why)';
      res.status(503).send(errorPage('Try again in a moment', `The revocation service ${why}, so nothing was changed.`));
    } else if (err instanceof RevocastError && err.status === 503) {
      res
        .status(503)
        .set('Retry-After', '1')
        .send(errorPage('Try again in a moment', 'Sign-ins cannot be checked right now: the revocation list is not current.'));
    } else if (typeof (err as { status?: unknown }).status === 'number' && (err as { status: number }).status < 500) {
      const status = (err as { status: number }).status;
      res.status(status).send(errorPage('Bad request', 'The request could not be read.'));
    } else {
      logger.error({ err: { message: (err as Error).message } }, 'page failed');
      res.status(500).send(errorPage('Something went wrong', 'The page could not be served.'));
    }
  };
}

/**
 * The example web app: server-rendered pages to sign in on several devices,
 * list them, sign one out, sign out everywhere and change the password, plus
 * the small JSON API of the curl walkthrough. Any number of instances act
 * as one app when they share the store, the signing secret and the service.
 *
 * @example
 * ```ts
 * const app = createWebApp({ verifier, store, revocations, signingSecret });
 * app.listen(3000);
 * ```
 */
export function createWebApp(deps: WebAppDeps): Express {
  const refreshTokenTtl = deps.refreshTokenTtl ?? 86_400;
  const logger = deps.logger ?? QUIET;
  const sessions = createSessionManager({
    store: deps.store,
    verifier: deps.verifier,
    revocations: deps.revocations,
    signingSecret: deps.signingSecret,
    accessTokenTtl: deps.accessTokenTtl ?? 900,
    refreshTokenTtl,
    clock: deps.clock ?? Date.now,
    logger,
  });
  const session = loadSession(sessions, refreshTokenTtl);
  const context: RouteContext = { sessions, refreshTokenTtl, loadSession: session, signedIn: [session, requireUser] };

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.trustProxy ?? false);
  app.set('query parser', 'simple');

  app.use('/api', apiRoutes(sessions, deps.verifier));
  app.get('/favicon.ico', (_req, res) => void res.status(204).end());

  const pages = express.Router();
  pages.use(securityHeaders, express.urlencoded({ extended: false, limit: '4kb' }), csrfProtection(deps.signingSecret));
  pages.use(signInRoutes(context), accountRoutes(context), deviceRoutes(context));
  pages.use((_req, res) => void res.status(404).send(errorPage('Not found', 'There is no such page.')));
  pages.use(pageErrors(logger));
  app.use(pages);
  return app;
}
