import { compactVerify, errors as joseErrors } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { RevocastError } from '@revocast/verifier-sdk';
import { isJwsAlgorithm, type JwsAlgorithm } from '../../../../verifier-sdk/src/verify/jws/algorithms.js';
import { JwsError } from '../../../../verifier-sdk/src/verify/jws/jws-error.js';
import { loadKey } from '../../../../verifier-sdk/src/verify/jws/load-key.js';
import {
  createPooledJwsVerifier,
  createStaticJwsVerifier,
  type PooledJwsVerifier,
  type StaticJwsVerifier,
} from '../../../../verifier-sdk/src/verify/jws/verify-compact.js';
import { isCanonicalCompact } from '../../../support/jws-differential.js';
import {
  IDENTICAL_TO_VALID,
  STRICTER_THAN_WYCHEPROOF,
  algorithmsFor,
  file,
  type Group,
  type Vector,
  type Verdict,
} from '../../../support/wycheproof-jws.js';

/**
 * Every Wycheproof JWS vector through the signature core alone, keyed the
 * way verify() keys it. None of the payloads is a JWT, so a vector whose
 * signature verifies ends as `not-a-jwt`; any other refusal happened in the
 * signature layer. Each verdict is also compared with jose.compactVerify on
 * the same key, so the core is held to jose vector by vector, not only to
 * the expected results.
 */

interface Checked {
  readonly vector: Vector;
  readonly group: Group;
  readonly verdict: Verdict;
  /** The verdict of the same check on the thread pool (elliptic-curve keys only), with the error it gave. */
  readonly pooled?: { readonly verdict: Verdict; readonly message?: string };
  /** The synchronous core's error message, to compare with the pooled one. */
  readonly message?: string;
  /** Whether jose.compactVerify verified the signature with the same key and allow-list. */
  readonly joseVerified: boolean | 'key refused';
}

function judged(err: unknown): { verdict: Verdict; message: string } {
  if (!(err instanceof JwsError)) throw new Error(`the core threw a non-JwsError: ${String(err)}`, { cause: err });
  return { verdict: err.reason === 'not-a-jwt' ? 'signature verified' : 'rejected by signature layer', message: err.message };
}

function verdictOf(verify: StaticJwsVerifier, jws: string): { verdict: Verdict; message?: string } {
  try {
    verify(jws);
    return { verdict: 'accepted' };
  } catch (err) {
    return judged(err);
  }
}

async function pooledVerdictOf(verify: PooledJwsVerifier, jws: string): Promise<{ verdict: Verdict; message?: string }> {
  try {
    await verify(jws);
    return { verdict: 'accepted' };
  } catch (err) {
    return judged(err);
  }
}

describe('Wycheproof JSON Web Signature vectors through the JWS core', () => {
  const checked = new Map<number, Checked>();

  beforeAll(async () => {
    for (const group of file.testGroups) {
      const key = (group.public ?? group.private) as NonNullable<Group['public']>;
      const algorithms = algorithmsFor(key).filter(isJwsAlgorithm) as JwsAlgorithm[];
      let verify: StaticJwsVerifier | undefined;
      let pooled: PooledJwsVerifier | undefined;
      try {
        const bound = await loadKey(key, algorithms);
        verify = createStaticJwsVerifier(bound);
        pooled = createPooledJwsVerifier(bound);
      } catch (err) {
        expect(err).toBeInstanceOf(RevocastError);
        expect((err as RevocastError).code).toBe('ERR_INVALID_OPTIONS');
      }
      for (const vector of group.tests) {
        let joseVerified: Checked['joseVerified'];
        try {
          await compactVerify(vector.jws, key, { algorithms });
          joseVerified = true;
        } catch (err) {
          joseVerified = err instanceof joseErrors.JOSEError ? false : 'key refused';
        }
        const sync = verify === undefined ? { verdict: 'key refused' as const } : verdictOf(verify, vector.jws);
        checked.set(vector.tcId, {
          vector,
          group,
          joseVerified,
          ...sync,
          ...(pooled === undefined ? {} : { pooled: await pooledVerdictOf(pooled, vector.jws) }),
        });
      }
    }
  });

  it('checks every vector in the file', () => {
    expect(checked.size).toBe(file.numberOfTests);
  });

  it('gives the same verdict and error on the thread pool as on the event loop, for every vector of an elliptic-curve key', () => {
    // The file's elliptic-curve groups are all ECDSA; EdDSA on the pool is held to jose by the differential suite.
    const onPool = [...checked.values()].filter((c) => c.pooled !== undefined);
    expect(new Set(onPool.map(({ group }) => (group.public ?? group.private)?.kty))).toEqual(new Set(['EC']));
    expect(onPool.filter(({ verdict }) => verdict === 'signature verified').length).toBeGreaterThan(0);
    expect(onPool.filter(({ verdict }) => verdict === 'rejected by signature layer').length).toBeGreaterThan(0);
    const differ = onPool
      .filter(({ verdict, message, pooled }) => pooled?.verdict !== verdict || pooled?.message !== message)
      .map(({ vector, verdict, pooled }) => `${vector.tcId}: event loop ${verdict}, pool ${pooled?.verdict}`);
    expect(differ).toEqual([]);
  });

  it('rejects every invalid vector before its signature counts', () => {
    const passed = [...checked.values()]
      .filter(({ vector }) => vector.result === 'invalid' && !(vector.tcId in IDENTICAL_TO_VALID))
      .filter(({ verdict }) => verdict !== 'rejected by signature layer' && verdict !== 'key refused')
      .map(({ vector, group, verdict }) => `${vector.tcId} ${group.comment}/${vector.comment}: ${verdict}`);
    expect(passed).toEqual([]);
  });

  it('verifies the signature of every valid vector, except the listed stricter cases', () => {
    const refused = [...checked.values()]
      .filter(({ vector, verdict }) => vector.result === 'valid' && verdict !== 'signature verified')
      .map(({ vector }) => vector.tcId);
    expect(refused.sort((a, b) => a - b)).toEqual(Object.keys(STRICTER_THAN_WYCHEPROOF).map(Number));
  });

  it('verifies a signature exactly when jose.compactVerify does, for every canonically encoded vector whose key the core accepts', () => {
    const disagreements = [...checked.values()]
      .filter(
        ({ vector, verdict, joseVerified }) =>
          verdict !== 'key refused' && joseVerified !== 'key refused' && isCanonicalCompact(vector.jws),
      )
      .filter(({ verdict, joseVerified }) => (verdict === 'signature verified') !== joseVerified)
      .map(({ vector, verdict, joseVerified }) => `${vector.tcId}: core ${verdict}, jose verified ${String(joseVerified)}`);
    expect(disagreements).toEqual([]);
  });

  it('refuses every vector that is not canonical base64url, including those jose verifies (spaces, bits past the end)', () => {
    const lenient = [...checked.values()].filter(({ vector, verdict }) => verdict !== 'key refused' && !isCanonicalCompact(vector.jws));
    expect(lenient.filter(({ verdict }) => verdict !== 'rejected by signature layer')).toEqual([]);
    // Wycheproof calls these invalid; jose's lenient decoder lets their signatures verify, the core does not.
    const joseVerifiedInvalid = lenient
      .filter(({ vector, joseVerified }) => vector.result === 'invalid' && joseVerified === true)
      .map(({ vector }) => vector.tcId);
    expect(joseVerifiedInvalid).toEqual([360, 365, 368, 375]);
  });
});
