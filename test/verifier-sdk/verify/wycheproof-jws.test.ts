import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RevocastError, type Verifier } from '@revocast/verifier-sdk';
import { JwsError } from '../../../verifier-sdk/src/verify/jws/jws-error.js';
import { memoryStore, testVerifier } from '../../support/fixtures.js';
import {
  IDENTICAL_TO_VALID,
  STRICTER_THAN_WYCHEPROOF,
  algorithmsFor,
  file,
  type Group,
  type Vector,
  type Verdict,
} from '../../support/wycheproof-jws.js';

/**
 * Wycheproof's JSON Web Signature vectors (test/vectors/wycheproof), run
 * through the verifier configured the way an application would: the group's
 * public key (a symmetric key is its own verification key) and its algorithm
 * as the allow-list.
 *
 * None of the payloads is a JWT ("foo", "Test", bytes), so `verify` refuses
 * every vector in the end. What matters is where: the JWS core checks the
 * structure, the algorithm, the key and the signature before it parses the
 * claims, and reports a claims set that is not a JSON object as `not-a-jwt`
 * (jose's `JWTInvalid`). A rejection for that reason means the signature was
 * accepted; any other rejection happened in the signature layer. Every
 * invalid vector must be rejected there (or the key refused when the
 * verifier is built); every
 * valid vector must get past it, apart from the few listed (with the
 * reason) in test/support/wycheproof-jws.ts.
 */

async function verdictOf(verifier: Verifier, keyRefused: boolean, jws: string): Promise<Verdict> {
  let error: unknown;
  try {
    await verifier.verify(jws);
    return 'accepted';
  } catch (err) {
    error = err;
  }
  // Anything other than a typed RevocastError is a bug of its own.
  if (!(error instanceof RevocastError)) throw new Error(`verify threw a non-RevocastError: ${String(error)}`, { cause: error });
  if (keyRefused) {
    expect(error.code).toBe('ERR_INVALID_OPTIONS');
    return 'key refused';
  }
  expect(error.code).toBe('ERR_TOKEN_INVALID');
  return error instanceof JwsError && error.reason === 'not-a-jwt' ? 'signature verified' : 'rejected by signature layer';
}

describe('Wycheproof JSON Web Signature vectors', () => {
  const verdicts = new Map<number, { vector: Vector; group: Group; verdict: Verdict; verifier: Verifier }>();
  const open: Verifier[] = [];

  beforeAll(async () => {
    for (const group of file.testGroups) {
      const key = group.public ?? group.private;
      if (key === undefined) throw new Error(`group ${group.comment} has no key`);
      if (group.public === undefined && key.kty !== 'oct')
        throw new Error(`group ${group.comment}: only a symmetric key may come from "private"`);
      const verifier = testVerifier({ source: memoryStore().feed(), key, algorithms: algorithmsFor(key) });
      open.push(verifier);
      const keyRefused = await verifier.ready().then(
        () => false,
        (err: unknown) => {
          expect(err).toBeInstanceOf(RevocastError);
          return true;
        },
      );
      for (const vector of group.tests) {
        verdicts.set(vector.tcId, { vector, group, verifier, verdict: await verdictOf(verifier, keyRefused, vector.jws) });
      }
    }
    const table = new Map<string, number>();
    for (const { vector, verdict } of verdicts.values()) {
      const kind = `${vector.result}${vector.tcId in IDENTICAL_TO_VALID ? ' (a copy of a valid one)' : ''}: ${verdict}`;
      table.set(kind, (table.get(kind) ?? 0) + 1);
    }
    console.log(
      `Wycheproof JWS: ${verdicts.size} of ${file.numberOfTests} vectors checked\n` +
        [...table]
          .sort()
          .map(([kind, count]) => `  ${kind.padEnd(60)} ${count}`)
          .join('\n'),
    );
  });
  afterAll(async () => {
    await Promise.all(open.map((verifier) => verifier.close()));
  });

  it('checks every vector in the file, and there are both valid and invalid ones', () => {
    expect(verdicts.size).toBe(file.numberOfTests);
    const results = [...verdicts.values()].map(({ vector }) => vector.result);
    expect(results.filter((result) => result === 'invalid').length).toBeGreaterThan(300);
    expect(results.filter((result) => result === 'valid').length).toBeGreaterThan(30);
  });

  it('rejects every invalid vector before its signature counts', () => {
    const passed = [...verdicts.values()]
      .filter(({ vector }) => vector.result === 'invalid' && !(vector.tcId in IDENTICAL_TO_VALID))
      .filter(({ verdict }) => verdict !== 'rejected by signature layer' && verdict !== 'key refused')
      .map(({ vector, group, verdict }) => `${vector.tcId} ${group.comment}/${vector.comment}: ${verdict}`);
    expect(passed).toEqual([]);
  });

  it('verifies the signature of every valid vector, except the listed stricter cases', () => {
    const refused = [...verdicts.values()]
      .filter(({ vector, verdict }) => vector.result === 'valid' && verdict !== 'signature verified')
      .map(({ vector }) => vector.tcId);
    expect(refused.sort((a, b) => a - b)).toEqual(Object.keys(STRICTER_THAN_WYCHEPROOF).map(Number));
  });

  it('treats the invalid vectors that are copies of a valid one exactly like it', () => {
    for (const [invalid, valid] of Object.entries(IDENTICAL_TO_VALID)) {
      const copy = verdicts.get(Number(invalid));
      const original = verdicts.get(valid);
      expect(copy?.vector.result).toBe('invalid');
      expect(copy?.vector.jws).toBe(original?.vector.jws);
      expect(copy?.verdict).toBe(original?.verdict);
    }
  });

  it('rejects the HS256 token keyed with the EC public key bytes, and the attacker-embedded jwk', () => {
    const byComment = (comment: string) => [...verdicts.values()].find(({ vector }) => vector.comment.startsWith(comment));
    const confusion = byComment('rejectsSymmetryConfusionAttacks_aesKeyFromEcVerificationKey');
    const embedded = byComment('rejectsAttackerProvidedEmbeddedJwk');
    expect(confusion?.verdict).toBe('rejected by signature layer');
    expect(embedded?.verdict).toBe('rejected by signature layer');
  });

  it('rejects the JSON serialisation: the verifier takes compact tokens only', async () => {
    // The file's JSON vector is cut short (its closing "]}" is missing); it is
    // passed as the text it is, then as a complete general JWS object.
    const json = [...verdicts.values()].filter(({ vector }) => vector.flags.includes('JsonSerialization'));
    expect(json.length).toBeGreaterThan(0);
    for (const { vector, verdict, verifier } of json) {
      expect(verdict).toBe('rejected by signature layer');
      expect(await verdictOf(verifier, false, JSON.parse(`${vector.jws}]}`) as string)).toBe('rejected by signature layer');
    }
  });
});
