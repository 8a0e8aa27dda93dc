import { DEFAULT_CLOCK_TOLERANCE } from '@revocast/verifier-sdk';
import { coveredByCutoff, cutoffOf, isEnforced } from '@revocast/verifier-sdk/protocol';
import { Router, type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import type { RevocationActions } from '../actions/revocation-actions.js';
import { ServiceError } from '../errors.js';
import type { Propagation } from '../fleet/wait-for-verifiers.js';
import { requireScope, type RejectionReason } from '../http/admin-auth.js';
import { formBody } from '../http/body-parsers.js';
import { HttpProblem, type ProblemCode } from '../http/problem.js';
import type { IntrospectionReason, ServiceMetrics } from '../metrics/service-metrics.js';
import type { RevocationInput } from '../model/revocation.js';
import { KeysUnavailableError, type InspectedClaims, type InspectionUse, type TokenInspector } from '../oauth/token-inspector.js';
import type { RevocationStore } from '../store/revocation-store.js';
import { parseChangeQuery } from '../validation/list-query.js';
import { parseRevocationInput } from '../validation/revocation-input.js';
import { checkCanWait } from './revocations.js';
import { DEFAULTS } from '../config/defaults.js';

export interface OAuthRoutesDeps {
  readonly store: RevocationStore;
  readonly actions: RevocationActions;
  readonly metrics: ServiceMetrics;
  /** Absent: both endpoints answer 501. */
  readonly inspector: TokenInspector | undefined;
  readonly clock: () => number;
  readonly onReject: (reason: RejectionReason) => void;
  /** Admin authentication; inside this router so its refusals are answered as OAuth errors. */
  readonly auth: RequestHandler;
}

/** An OAuth error (RFC 6749 §5.2): `{ "error": …, "error_description": … }`. */
class OAuthError extends ServiceError<'ERR_OAUTH'> {
  constructor(
    readonly status: number,
    readonly error: string,
    description: string,
  ) {
    super('ERR_OAUTH', description);
  }
}

/** Problems that OAuth clients know by another name. */
const OAUTH_NAMES: Partial<Record<ProblemCode, string>> = {
  ERR_VALIDATION: 'invalid_request',
  ERR_UNSUPPORTED_MEDIA_TYPE: 'invalid_request',
  ERR_BODY_TOO_LARGE: 'invalid_request',
  ERR_UNAUTHORIZED: 'invalid_client',
  ERR_FORBIDDEN: 'unauthorized_client',
};

const REASON = 'revoked through the OAuth 2.0 revocation endpoint';

/** Reads the one `token` (and optional `token_type_hint`) of an RFC 7009 / RFC 7662 form. */
function tokenParameter(req: Request): string {
  if (!req.is('application/x-www-form-urlencoded')) {
    throw new OAuthError(400, 'invalid_request', 'send the parameters as application/x-www-form-urlencoded');
  }
  const body = (req.body ?? {}) as Record<string, unknown>;
  const { token, token_type_hint: hint } = body;
  if (typeof token !== 'string' || token === '') throw new OAuthError(400, 'invalid_request', 'the token parameter is required, once');
  if (hint !== undefined && typeof hint !== 'string') throw new OAuthError(400, 'invalid_request', 'token_type_hint may be given once');
  return token;
}

function requireInspector(inspector: TokenInspector | undefined): TokenInspector {
  if (inspector === undefined) {
    throw new HttpProblem(
      'ERR_NOT_CONFIGURED',
      'no token verification keys are configured (REVOCAST_JWT_SECRET, REVOCAST_JWT_PUBLIC_KEY or REVOCAST_JWKS_URI)',
    );
  }
  return inspector;
}

async function inspect(inspector: TokenInspector, token: string, use: InspectionUse) {
  try {
    return await inspector.inspect(token, use);
  } catch (err) {
    if (err instanceof KeysUnavailableError) {
      throw new HttpProblem('ERR_KEYS_UNAVAILABLE', err.message, { headers: { 'Retry-After': '5' }, cause: err });
    }
    throw err;
  }
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** What revoking this token means: its jti until its exp, and its session when it names one. */
function revocationsOf(claims: InspectedClaims, now: number): RevocationInput[] {
  const jti = text(claims.jti);
  const sid = text(claims.sid);
  const sub = text(claims.sub);
  const common = { ...(sub === undefined ? {} : { sub }), reason: REASON };
  const bodies: unknown[] = [];
  if (jti !== undefined && typeof claims.exp === 'number') bodies.push({ type: 'token', jti, exp: claims.exp, ...common });
  if (sid !== undefined) bodies.push({ type: 'session', sid, ...common });
  if (bodies.length === 0)
    throw new OAuthError(
      400,
      'unsupported_token_type',
      'the token has neither a jti with an exp nor a sid, so it cannot be revoked on its own',
    );
  return bodies.map((body) => {
    const parsed = parseRevocationInput(body, now);
    if (!parsed.ok)
      throw new OAuthError(
        400,
        'unsupported_token_type',
        `the token cannot be revoked: ${parsed.errors.map((e) => `${e.field} ${e.message}`).join('; ')}`,
      );
    return parsed.value;
  });
}

/** The tolerance the inspector judges claims with, and so how long past its prune time a verifier enforces a revocation. */
const TOLERANCE_MS = DEFAULT_CLOCK_TOLERANCE * 1000;

/**
 * Which revocation covers these claims, read from the store itself, by the
 * verifiers' own rules: one is enforced until its prune time plus the clock
 * tolerance (a token is not expired before that either), and a cutoff
 * covers tokens issued at or before it. The claims passed the SDK's claims
 * validator: ids are valid strings, `iat` a finite number not in the future.
 */
async function revokedBy(store: RevocationStore, claims: InspectedClaims, now: number): Promise<IntrospectionReason> {
  const jti = text(claims.jti);
  const sid = text(claims.sid);
  const sub = text(claims.sub);
  const [token, session, subject] = await Promise.all([
    jti === undefined ? null : store.get('token', jti),
    sid === undefined ? null : store.get('session', sid),
    sub === undefined ? null : store.get('subject', sub),
  ]);
  if (token !== null && isEnforced(token.pruneAt, TOLERANCE_MS, now)) return 'jti';
  if (session !== null && isEnforced(session.pruneAt, TOLERANCE_MS, now)) return 'session';
  if (subject !== null && isEnforced(subject.pruneAt, TOLERANCE_MS, now) && coveredByCutoff(claims.iat, cutoffOf(subject)))
    return 'subject';
  return 'none';
}

const ACTIVE_FIELDS = ['sub', 'jti', 'sid', 'exp', 'iat', 'nbf', 'iss', 'aud', 'scope', 'client_id'] as const;

/**
 * RFC 7009 `POST /oauth2/revoke` and RFC 7662 `POST /oauth2/introspect` (mounted at `/oauth2`),
 * authenticated with an admin key (`revoke` and `read` scopes). Tokens are
 * trusted only once their signature verifies with the configured keys: an
 * unverifiable token is answered as RFC 7009 says (200) but revokes nothing,
 * so nobody can revoke an arbitrary jti by forging a token around it.
 */
export function oauthRoutes(deps: OAuthRoutesDeps): Router {
  const { store, actions, metrics, clock, onReject } = deps;
  const router = Router();
  // Body failures arrive here as problems, answered below in RFC 6749 form like every other refusal.
  router.use(deps.auth, formBody(DEFAULTS.bodyLimit, DEFAULTS.oauthFormFields));

  router.post('/revoke', requireScope('revoke', onReject), async (req: Request, res: Response) => {
    const token = tokenParameter(req);
    const query = parseChangeQuery(req.query);
    if (!query.ok) throw new OAuthError(400, 'invalid_request', query.errors.map((e) => `${e.field}: ${e.message}`).join('; '));
    checkCanWait(actions, query.value);
    const inspection = await inspect(requireInspector(deps.inspector), token, 'revoke');
    res.setHeader('Cache-Control', 'no-store');
    // RFC 7009 §2.2: an invalid (or already expired) token is answered with 200 too; nothing is revoked.
    if (!inspection.ok) {
      res.json({ revoked: [] });
      return;
    }
    const revoked = [];
    let propagation: Propagation | undefined;
    for (const input of revocationsOf(inspection.claims, clock())) {
      const outcome = await actions.revoke(input, res.locals.actor as string, query.value);
      revoked.push({ type: outcome.record.type, id: outcome.record.id, offset: outcome.record.offset, changed: outcome.changed });
      propagation = outcome.propagation ?? propagation;
    }
    res.json({ revoked, ...(propagation === undefined ? {} : { propagation }) });
  });

  router.post('/introspect', requireScope('read', onReject), async (req: Request, res: Response) => {
    const token = tokenParameter(req);
    const inspection = await inspect(requireInspector(deps.inspector), token, 'introspect');
    res.setHeader('Cache-Control', 'no-store');
    const reason: IntrospectionReason = inspection.ok ? await revokedBy(store, inspection.claims, clock()) : inspection.reason;
    metrics.introspections.inc({ result: reason === 'none' ? 'active' : 'inactive', reason });
    // RFC 7662 §2.2: an inactive token gets nothing but active: false.
    if (!inspection.ok || reason !== 'none') {
      res.json({ active: false });
      return;
    }
    const claims = inspection.claims as Record<string, unknown>;
    const fields = Object.fromEntries(ACTIVE_FIELDS.filter((name) => claims[name] !== undefined).map((name) => [name, claims[name]]));
    res.json({ active: true, token_type: 'access_token', ...fields });
  });

  const oauthErrors: ErrorRequestHandler = (err: unknown, _req, res, next) => {
    const name = err instanceof OAuthError ? err.error : err instanceof HttpProblem ? OAUTH_NAMES[err.code] : undefined;
    if (name === undefined || !(err instanceof Error)) return next(err);
    const status = err instanceof OAuthError ? err.status : (err as HttpProblem).status;
    if (err instanceof HttpProblem) for (const [header, value] of Object.entries(err.headers)) res.setHeader(header, value);
    res.status(status).setHeader('Cache-Control', 'no-store').json({ error: name, error_description: err.message });
  };
  router.use(oauthErrors);
  return router;
}
