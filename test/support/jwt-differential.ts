import fc from 'fast-check';
import { jwtVerify } from 'jose';
import { RevocastError } from '../../verifier-sdk/src/errors.js';
import { idProblem } from '../../verifier-sdk/src/protocol/id.js';
import { createClaimsValidator, type ClaimsRules } from '../../verifier-sdk/src/verify/claims.js';
import { JwsError } from '../../verifier-sdk/src/verify/jws/jws-error.js';
import {
  buildToken,
  caseArbitrary,
  createKeyPool,
  createSetups,
  isCanonicalCompact,
  joseVerdictOf,
  newTally,
  seededRandom,
  type Setup,
  type Tally,
  type Verdict,
} from './jws-differential.js';

/**
 * The differential property of the whole token check, signature core then
 * claims validator, as `verify()` runs them, against `jose.jwtVerify` with
 * the same options: random required claims, issuer, audience and tolerance,
 * and claims around the edges of now.
 *
 * Revocast adds three claim rules to jose's, on purpose: a present `exp`,
 * `nbf` or `iat` must be a finite number (JSON's 1e400 is Infinity), `iat`
 * must not be ahead of now plus the tolerance, and a present `jti`, `sub` or
 * `sid` must be a valid id. Where a token breaks one of them (an oracle
 * written here, independently of the validator) the core must refuse it as
 * invalid (or as expired, when jose says expired too); everywhere else both
 * must agree exactly, expired and invalid kept apart.
 */

/** Epoch seconds the runs pretend it is. */
const NOW_S = 1_900_000_000;

interface Rules {
  readonly requiredClaims: readonly string[];
  readonly issuer?: string | readonly string[];
  readonly audience?: string | readonly string[];
  readonly clockTolerance: number;
  /** Milliseconds past NOW_S: fractional now matters for iat. */
  readonly nowOffsetMs: number;
}

const rulesArbitrary: fc.Arbitrary<Rules> = fc.record(
  {
    requiredClaims: fc.oneof(fc.constant(['exp', 'jti']), fc.subarray(['exp', 'jti', 'sub', 'iat', 'nbf'])),
    issuer: fc.constantFrom('https://issuer.example', ['https://issuer.example', 'other']),
    audience: fc.constantFrom('api', ['api', 'admin']),
    clockTolerance: fc.constantFrom(0, 5, 30),
    nowOffsetMs: fc.nat(999),
  },
  { requiredKeys: ['requiredClaims', 'clockTolerance', 'nowOffsetMs'] },
);

/** A date claim near now: the edges of every comparison, fractions, and values of the wrong kind. */
const dateValue = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: -40, max: 40 }).map((delta) => NOW_S + delta) },
  { weight: 6, arbitrary: fc.integer({ min: -3600, max: 3600 }).map((delta) => NOW_S + delta) },
  { weight: 2, arbitrary: fc.double({ min: NOW_S - 40, max: NOW_S + 40, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(0, -1, Infinity, -Infinity, '1900000000', null, true, [NOW_S], 2 ** 53) },
);

const idValue = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom('user-1', 'a', 'é', '😀', 'x'.repeat(256)) },
  { weight: 1, arbitrary: fc.constantFrom('', 'x'.repeat(257), 'a\u0000b', 'a\u007fb', '\ud800', 42, null, ['a'], { a: 1 }) },
);

export const claimsArbitrary: fc.Arbitrary<Record<string, unknown>> = fc.record(
  {
    exp: dateValue,
    nbf: dateValue,
    iat: dateValue,
    jti: idValue,
    sub: idValue,
    sid: idValue,
    iss: fc.oneof(
      { weight: 6, arbitrary: fc.constant('https://issuer.example') },
      { weight: 1, arbitrary: fc.constantFrom('other', 'evil', 1, null) },
    ),
    aud: fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom('api', ['x', 'api']) },
      { weight: 1, arbitrary: fc.constantFrom('admin', 'x', ['x'], [], 7, null) },
    ),
    scope: fc.string({ maxLength: 6 }),
  },
  { requiredKeys: [] },
);

/** Whether the claims break one of Revocast's own rules (not jose's), at `nowMs`. */
export function breaksRevocastRule(claims: unknown, nowMs: number, tolerance: number): boolean {
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) return false;
  const record = claims as Record<string, unknown>;
  for (const name of ['exp', 'nbf', 'iat']) {
    const value = record[name];
    if (typeof value === 'number' && !Number.isFinite(value)) return true;
  }
  const iat = record['iat'];
  if (typeof iat === 'number' && iat * 1000 > nowMs + tolerance * 1000) return true;
  return ['jti', 'sub', 'sid'].some((name) => record[name] !== undefined && idProblem(record[name]) !== undefined);
}

async function oursVerdict(
  setup: Setup,
  validate: ReturnType<typeof createClaimsValidator>,
  token: string,
  nowMs: number,
): Promise<Verdict> {
  try {
    return { accepted: true, payload: validate((await setup.ours(token)).payload, nowMs) };
  } catch (err) {
    if (err instanceof JwsError) return { accepted: false, reason: err.reason, message: err.message };
    if (err instanceof RevocastError) {
      return { accepted: false, reason: err.code === 'ERR_TOKEN_EXPIRED' ? 'expired' : 'claim-invalid', message: err.message };
    }
    try {
      return joseVerdictOf(err);
    } catch {
      throw new Error(`the token check threw something other than a RevocastError: ${String(err)}`, { cause: err });
    }
  }
}

/** Compares one token under `rules`; throws when the two disagree beyond the documented differences. */
async function compare(setup: Setup, token: string, rules: Rules, tally: Tally): Promise<void> {
  const nowMs = NOW_S * 1000 + rules.nowOffsetMs;
  const claimRules: ClaimsRules = {
    clockTolerance: rules.clockTolerance,
    requiredClaims: rules.requiredClaims,
    issuer: rules.issuer,
    audience: rules.audience,
    clock: () => nowMs,
  };
  const validate = createClaimsValidator(claimRules);
  const ours = await oursVerdict(setup, validate, token, nowMs);
  let jose: Verdict;
  try {
    const result = await jwtVerify(token, setup.joseKey, {
      algorithms: [...setup.algorithms],
      requiredClaims: [...rules.requiredClaims],
      clockTolerance: rules.clockTolerance,
      currentDate: new Date(nowMs),
      ...(rules.issuer === undefined ? {} : { issuer: rules.issuer as string | string[] }),
      ...(rules.audience === undefined ? {} : { audience: rules.audience as string | string[] }),
    });
    jose = { accepted: true, payload: result.payload };
  } catch (err) {
    jose = joseVerdictOf(err);
  }
  tally.cases++;
  const fail = () => {
    throw new Error(`${setup.name} ${JSON.stringify(rules)}: core ${JSON.stringify(ours)} but jose ${JSON.stringify(jose)} for ${token}`);
  };
  if (!isCanonicalCompact(token)) {
    if (ours.accepted || ours.reason !== 'malformed') fail();
    tally.stricter++;
    return;
  }
  const signatureAccepted = jose.accepted || jose.reason === 'claim-invalid' || jose.reason === 'expired';
  const payload = ours.accepted ? ours.payload : undefined;
  if (signatureAccepted && !ours.accepted && (ours.reason === 'claim-invalid' || ours.reason === 'expired')) {
    // Both got past the signature; decide on the claims.
    let claims: unknown;
    try {
      claims = JSON.parse(
        Buffer.from(token.split('.')[1] as string, 'base64url')
          .toString('utf8')
          .replace(/^\ufeff/, ''),
      ) as unknown;
    } catch {
      claims = undefined;
    }
    if (breaksRevocastRule(claims, nowMs, rules.clockTolerance)) {
      const allowed = jose.accepted || jose.reason === 'claim-invalid' ? ['claim-invalid'] : ['claim-invalid', 'expired'];
      if (!allowed.includes(ours.reason)) fail();
      tally.refused.set('Revocast claim rule', (tally.refused.get('Revocast claim rule') ?? 0) + 1);
      return;
    }
  }
  if (ours.accepted !== jose.accepted) fail();
  if (!ours.accepted && !jose.accepted && ours.reason !== jose.reason) fail();
  if (ours.accepted && jose.accepted) {
    if (JSON.stringify(payload) !== JSON.stringify(jose.payload)) fail();
    tally.accepted++;
  } else if (!ours.accepted) {
    tally.refused.set(ours.reason, (tally.refused.get(ours.reason) ?? 0) + 1);
  }
}

/** Runs the whole-token property; returns the tally. */
export async function runJwtDifferential(options: { numRuns: number; seed: number; log?: (line: string) => void }): Promise<Tally> {
  const pool = await createKeyPool(seededRandom(options.seed));
  const setups = await createSetups(pool);
  const tally = newTally();
  let next = 10_000;
  await fc.assert(
    fc.asyncProperty(caseArbitrary(setups.length, pool.keys.length, claimsArbitrary), rulesArbitrary, async (c, rules) => {
      const setup = setups[c.setup % setups.length] as Setup;
      await compare(setup, buildToken(c, setups, pool), rules, tally);
      if (options.log !== undefined && tally.cases >= next) {
        options.log(`${tally.cases} cases`);
        next += 10_000;
      }
    }),
    { numRuns: options.numRuns, seed: options.seed, endOnFailure: true },
  );
  return tally;
}
