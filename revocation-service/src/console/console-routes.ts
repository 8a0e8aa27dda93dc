import { Router, type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from 'pino';
import { isRevocationType } from '@revocast/verifier-sdk/protocol';
import type { RevocationActions } from '../actions/revocation-actions.js';
import { readFleetStatus, type FleetStatus } from '../fleet/fleet-status.js';
import type { VerifierFleet } from '../fleet/verifier-fleet.js';
import { checkScope, enforceRateLimit, refuseAuthentication, type Keyring, type RejectionReason } from '../http/admin-auth.js';
import type { AuthThrottle } from '../http/auth-throttle.js';
import { formBody } from '../http/body-parsers.js';
import { openEventStream } from '../http/event-stream.js';
import { HttpProblem } from '../http/problem.js';
import type { RateLimiter } from '../http/rate-limiter.js';
import type { ServiceMetrics } from '../metrics/service-metrics.js';
import type { RevocationStore } from '../store/revocation-store.js';
import { idField } from '../validation/fields.js';
import { parseRevocationInput } from '../validation/revocation-input.js';
import { changeToApi } from '../routes/fleet.js';
import { CONSOLE_CSS, CONSOLE_ICON, CONSOLE_JS } from './assets.js';
import { newToken, sameToken, type ConsoleSession, type ConsoleSessionStore } from './console-sessions.js';
import { consoleLinks } from './console-links.js';
import { consolePage, errorPage, loginPage } from './pages.js';
import { DEFAULTS } from '../config/defaults.js';

export interface ConsoleDeps {
  readonly store: RevocationStore;
  readonly actions: RevocationActions;
  readonly fleet: VerifierFleet | undefined;
  readonly keyring: Keyring;
  readonly limiter: RateLimiter;
  /** Failed sign-ins count against the client address, as wrong API keys do. */
  readonly throttle: AuthThrottle;
  /** Shared by every replica when the service runs on Redis. */
  readonly sessions: ConsoleSessionStore;
  readonly metrics: ServiceMetrics;
  readonly logger: Logger;
  readonly clock: () => number;
  readonly onReject: (reason: RejectionReason) => void;
  /** Aborted when the process shuts down: the live view's stream ends at once. */
  readonly closing?: AbortSignal;
}

const SESSION_COOKIE = 'revocast_console';
const LOGIN_COOKIE = 'revocast_login';
const ASSET_CACHE = `public, max-age=${DEFAULTS.consoleAssetMaxAgeSeconds}`;

/** No script or style but our own files, no framing, forms only to ourselves. */
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const securityHeaders: RequestHandler = (_req, res, next) => {
  res.setHeader('Content-Security-Policy', CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  next();
};

function cookies(req: Request): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}

/**
 * HttpOnly, SameSite=Strict, Secure whenever the request came over TLS. No
 * Path attribute: cookies are only set by pages one level under the console
 * (`…/admin/login`, `…/admin/logout`), so the browser scopes them to the
 * console's public path (`/admin`, or `/revocast/admin` behind a proxy)
 * without the service having to know it. `maxAgeMs` 0 deletes the cookie.
 */
function setCookie(req: Request, res: Response, name: string, value: string, maxAgeMs: number): void {
  const expires = maxAgeMs === 0 ? 'Thu, 01 Jan 1970 00:00:00 GMT' : new Date(Date.now() + maxAgeMs).toUTCString();
  res.append(
    'Set-Cookie',
    `${name}=${value}; Max-Age=${Math.floor(maxAgeMs / 1000)}; Expires=${expires}; HttpOnly; SameSite=Strict${req.secure ? '; Secure' : ''}`,
  );
}

/** A form field given exactly once, as text. */
function field(req: Request, name: string): string | undefined {
  const value = (req.body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : undefined;
}

/** The start page, on the subject the form was about. */
function back(req: Request, sub: string | undefined): string {
  const { home } = consoleLinks(req);
  return sub === undefined || sub === '' ? home : `${home}?sub=${encodeURIComponent(sub)}`;
}

/**
 * The admin console at `/admin`: server-rendered pages, a session cookie
 * after signing in with an admin key, a CSRF token in every form, and a
 * strict Content-Security-Policy (one script and one stylesheet, both ours).
 * Changes go through the same actions as the API and wait for the verifiers.
 */
export function adminConsole(deps: ConsoleDeps): Router {
  const { store, actions, keyring, limiter, sessions, metrics, logger, clock, onReject } = deps;
  const router = Router();
  router.use(securityHeaders, formBody(DEFAULTS.consoleBodyLimit, DEFAULTS.consoleFormFields));

  const fleetStatus = async (): Promise<FleetStatus | undefined> => {
    if (deps.fleet === undefined) return undefined;
    try {
      return await readFleetStatus(deps.fleet, clock);
    } catch {
      return undefined;
    }
  };

  router.get('/assets/console.css', (_req, res) => {
    res.type('text/css').setHeader('Cache-Control', ASSET_CACHE).send(CONSOLE_CSS);
  });
  router.get('/assets/console.js', (_req, res) => {
    res.type('text/javascript').setHeader('Cache-Control', ASSET_CACHE).send(CONSOLE_JS);
  });

  router.get('/assets/favicon.svg', (_req, res) => {
    res.type('image/svg+xml').setHeader('Cache-Control', ASSET_CACHE).send(CONSOLE_ICON);
  });

  router.get('/login', (req, res) => {
    const csrf = newToken();
    setCookie(req, res, LOGIN_COOKIE, csrf, DEFAULTS.consoleSignInFormTtlMs);
    res.type('html').send(loginPage(consoleLinks(req), csrf));
  });

  router.post('/login', async (req, res) => {
    const token = cookies(req)[LOGIN_COOKIE];
    const sent = field(req, '_csrf');
    if (token === undefined || sent === undefined || !sameToken(token, sent)) {
      throw new HttpProblem('ERR_FORBIDDEN', 'the sign-in form expired or did not come from this console; load it again');
    }
    const identity = keyring.identify(field(req, 'key') ?? '');
    if (identity === undefined) {
      // Throws the 429 page once this address has failed too often.
      try {
        await refuseAuthentication(deps.throttle, req.ip, onReject, new HttpProblem('ERR_UNAUTHORIZED', 'not valid'));
      } catch (err) {
        if (!(err instanceof HttpProblem) || err.status !== 401) throw err;
      }
      const csrf = newToken();
      setCookie(req, res, LOGIN_COOKIE, csrf, DEFAULTS.consoleSignInFormTtlMs);
      res
        .status(401)
        .type('html')
        .send(loginPage(consoleLinks(req), csrf, 'That admin key is not valid.'));
      return;
    }
    await enforceRateLimit(limiter, identity.name, onReject);
    const session = await sessions.create(identity.name, identity.scopes);
    setCookie(req, res, LOGIN_COOKIE, '', 0);
    setCookie(req, res, SESSION_COOKIE, session.id, DEFAULTS.consoleSessionTtlMs);
    logger.info({ audit: { action: 'console-sign-in', actor: identity.name } }, 'console sign-in');
    res.redirect(303, consoleLinks(req).home);
  });

  /** The signed-in session, or a redirect to the sign-in page. */
  const signedIn: RequestHandler = async (req, res, next) => {
    const session = await sessions.get(cookies(req)[SESSION_COOKIE]);
    if (session === undefined) {
      if (req.method === 'GET' && req.path !== '/events') res.redirect(303, consoleLinks(req).to('login'));
      else throw new HttpProblem('ERR_UNAUTHORIZED', 'sign in to the console first');
      return;
    }
    res.locals.session = session;
    next();
  };

  /** Every POST carries the session's CSRF token, and spends one request of the key's rate limit. */
  const csrfChecked: RequestHandler = async (req, res, next) => {
    const session = res.locals.session as ConsoleSession;
    const sent = field(req, '_csrf');
    if (sent === undefined || !sameToken(sent, session.csrf)) {
      throw new HttpProblem('ERR_FORBIDDEN', "the form did not carry this session's CSRF token; reload the page and try again");
    }
    await enforceRateLimit(limiter, session.actor, onReject);
    next();
  };

  router.get('/', signedIn, async (req, res) => {
    const session = res.locals.session as ConsoleSession;
    checkScope({ name: session.actor, scopes: session.scopes }, 'read', onReject);
    const raw = typeof req.query.sub === 'string' && req.query.sub !== '' ? req.query.sub : undefined;
    const parsed = raw === undefined ? undefined : idField.safeParse(raw);
    const sub = parsed?.success === true ? parsed.data : undefined;
    const records = sub === undefined ? [] : (await store.list({ sub, limit: 200 })).items;
    const flash = await sessions.takeFlash(session.id);
    res.type('html').send(
      consolePage({
        session,
        flash,
        sub,
        records,
        fleet: await fleetStatus(),
        links: consoleLinks(req),
        ...(parsed?.success === false ? { searchError: `subject ${parsed.error.issues[0]?.message ?? 'is invalid'}` } : {}),
      }),
    );
  });

  router.post('/revoke', signedIn, csrfChecked, async (req, res) => {
    const session = res.locals.session as ConsoleSession;
    checkScope({ name: session.actor, scopes: session.scopes }, 'revoke', onReject);
    const type = field(req, 'type');
    const sub = field(req, 'sub');
    const reason = field(req, 'reason')?.trim();
    const body =
      type === 'subject'
        ? { type, sub }
        : { type: 'session', sid: field(req, 'sid')?.trim(), ...(sub === undefined || sub === '' ? {} : { sub }) };
    const parsed = parseRevocationInput({ ...body, ...(reason === undefined || reason === '' ? {} : { reason }) }, clock());
    if (!parsed.ok) {
      await sessions.setFlash(session.id, {
        kind: 'error',
        text: `Nothing revoked: ${parsed.errors.map((e) => `${e.field} ${e.message}`).join('; ')}`,
      });
      res.redirect(303, back(req, sub));
      return;
    }
    const outcome = await actions.revoke(parsed.value, session.actor, actions.canWait ? { timeoutMs: DEFAULTS.waitTimeoutMs } : undefined);
    const what = outcome.record.type === 'subject' ? `every token of ${outcome.record.id}` : `session ${outcome.record.id}`;
    const done = outcome.changed ? `Revoked ${what}` : `Already revoked: ${what}`;
    await sessions.setFlash(session.id, {
      kind: outcome.propagation === undefined || outcome.propagation.complete ? 'ok' : 'warn',
      text: outcome.propagation === undefined ? done : `${done} — ${outcome.propagation.message}`,
    });
    res.redirect(303, back(req, sub));
  });

  router.post('/reinstate', signedIn, csrfChecked, async (req, res) => {
    const session = res.locals.session as ConsoleSession;
    checkScope({ name: session.actor, scopes: session.scopes }, 'reinstate', onReject);
    const type = field(req, 'type');
    const id = idField.safeParse(field(req, 'id'));
    const sub = field(req, 'sub');
    if (!isRevocationType(type) || !id.success) throw new HttpProblem('ERR_VALIDATION', 'the form named no revocation to reinstate');
    const outcome = await actions.reinstate(
      type,
      id.data,
      session.actor,
      'reinstated from the console',
      actions.canWait ? { timeoutMs: DEFAULTS.waitTimeoutMs } : undefined,
    );
    await sessions.setFlash(
      session.id,
      outcome === null
        ? { kind: 'warn', text: `Nothing to reinstate: no ${type} revocation for ${id.data}` }
        : {
            kind: outcome.propagation === undefined || outcome.propagation.complete ? 'ok' : 'warn',
            text: `Reinstated ${type} ${id.data}${outcome.propagation === undefined ? '' : ` — ${outcome.propagation.message}`}`,
          },
    );
    res.redirect(303, back(req, sub));
  });

  router.post('/logout', signedIn, csrfChecked, async (req, res) => {
    await sessions.delete((res.locals.session as ConsoleSession).id);
    setCookie(req, res, SESSION_COOKIE, '', 0);
    res.redirect(303, consoleLinks(req).to('login'));
  });

  /** The live view: the verifier table every second and every change as it is published. */
  router.get('/events', signedIn, async (req, res) => {
    const session = res.locals.session as ConsoleSession;
    checkScope({ name: session.actor, scopes: session.scopes }, 'read', onReject);
    const stream = openEventStream(req, res, metrics, deps.closing);
    let running = false;
    const push = async () => {
      if (running) return;
      running = true;
      const status = await fleetStatus();
      if (status !== undefined) stream.send('fleet', status);
      running = false;
    };
    const timer = setInterval(() => void push(), DEFAULTS.consoleFleetRefreshMs);
    stream.onClose(() => clearInterval(timer));
    void push();
    if (deps.fleet !== undefined) {
      const stop = await deps.fleet.onChange((message) => stream.send('change', changeToApi(message)));
      stream.onClose(stop);
    }
  });

  const pageErrors: ErrorRequestHandler = (err: unknown, req, res, next) => {
    if (!(err instanceof HttpProblem) || res.headersSent) return next(err);
    for (const [header, value] of Object.entries(err.headers)) res.setHeader(header, value);
    res
      .status(err.status)
      .type('html')
      .send(errorPage(consoleLinks(req), err.status, err.message));
  };
  router.use(pageErrors);
  return router;
}
