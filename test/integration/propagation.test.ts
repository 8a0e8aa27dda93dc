import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Verifier } from '@revocast/verifier-sdk';
import { outcome, signToken, startService, testVerifier, uniquePrefix, waitFor, type ServiceHandle } from '../support/fixtures.js';

describe('a revocation made over HTTP reaches every verifier', () => {
  const redisUrl = inject('redisUrl');
  const keyPrefix = uniquePrefix();
  let service: ServiceHandle;
  let verifiers: Verifier[];

  beforeAll(async () => {
    service = await startService({ redisUrl, keyPrefix });
    // Separate instances, separate Redis connections: as two web servers would have. Their liveness poll is 30 s
    // apart, so within a test only the push (pub/sub) can deliver a change: no timing luck involved.
    verifiers = [0, 1].map(() => testVerifier({ redis: redisUrl, keyPrefix, pollInterval: 30, maxStaleness: 60 }));
    await Promise.all(verifiers.map((v) => v.ready()));
  });

  afterAll(async () => {
    await Promise.all(verifiers.map((v) => v.close()));
    await service.close();
  });

  it('rejects a revoked jti on two verifiers by push once the API has answered, long before a poll could', async () => {
    const token = await signToken({ jti: 'jti-propagation' });
    for (const verifier of verifiers) expect(await outcome(verifier, token)).toBe('accepted');

    const res = await service.admin('/v1/revocations', {
      body: { type: 'token', jti: 'jti-propagation', exp: Math.floor(Date.now() / 1000) + 600 },
    });
    expect(res.status).toBe(201);
    const answered = performance.now();
    const delays = await Promise.all(
      verifiers.map(async (verifier) => {
        await waitFor(() => verifier.isRevoked({ jti: 'jti-propagation' }), 15_000, 1);
        return performance.now() - answered;
      }),
    );
    console.log(`propagation after the API answered: ${delays.map((d) => `${d.toFixed(2)} ms`).join(', ')}`);
    // The figures (milliseconds on an idle machine) are in BENCHMARKS.md; here only what no load can change is asserted.
    for (const delay of delays) expect(delay).toBeLessThan(15_000);
    for (const verifier of verifiers) expect(await outcome(verifier, token)).toBe('ERR_TOKEN_REVOKED');
  });

  it('a subject revocation rejects every older token of that user and accepts a login right after', async () => {
    const before = await signToken({ sub: 'heidi' });
    const other = await signToken({ sub: 'ivan' });
    const res = await service.admin('/v1/revocations', { body: { type: 'subject', sub: 'heidi', reason: 'sign out everywhere' } });
    expect(res.status).toBe(201);
    const { before: cutoff } = (await res.json()) as { before: number };
    // The app logs the user in again at once, with an iat one millisecond after the cutoff.
    const relogin = await signToken({ sub: 'heidi', iat: cutoff + 0.001 });
    for (const verifier of verifiers) {
      await waitFor(() => verifier.isRevoked({ sub: 'heidi', iat: cutoff - 1 }), 15_000, 1);
      expect(await outcome(verifier, before)).toBe('ERR_TOKEN_REVOKED');
      expect(await outcome(verifier, relogin)).toBe('accepted');
      expect(await outcome(verifier, other)).toBe('accepted');
    }
  });

  it('splits one second at the cutoff: earlier in that second is rejected, later is accepted', async () => {
    const cutoff = Math.floor(Date.now() / 1000) - 2 + 0.5;
    const res = await service.admin('/v1/revocations', { body: { type: 'subject', sub: 'ken', before: cutoff } });
    expect(res.status).toBe(201);
    const sameSecondBefore = await signToken({ sub: 'ken', iat: cutoff - 0.2 });
    const sameSecondAfter = await signToken({ sub: 'ken', iat: cutoff + 0.2 });
    expect(Math.floor(cutoff - 0.2)).toBe(Math.floor(cutoff + 0.2));
    for (const verifier of verifiers) {
      await waitFor(() => verifier.isRevoked({ sub: 'ken', iat: cutoff - 1 }), 15_000, 1);
      expect(await outcome(verifier, sameSecondBefore)).toBe('ERR_TOKEN_REVOKED');
      expect(await outcome(verifier, sameSecondAfter)).toBe('accepted');
    }
  });

  it('a session revocation signs out one device and leaves the others', async () => {
    const ipad = await signToken({ sub: 'judy', sid: 'judy-ipad' });
    const laptop = await signToken({ sub: 'judy', sid: 'judy-laptop' });
    expect((await service.admin('/v1/revocations', { body: { type: 'session', sid: 'judy-ipad', sub: 'judy' } })).status).toBe(201);
    for (const verifier of verifiers) {
      await waitFor(() => verifier.isRevoked({ sid: 'judy-ipad' }), 15_000, 1);
      expect(await outcome(verifier, ipad)).toBe('ERR_TOKEN_REVOKED');
      expect(await outcome(verifier, laptop)).toBe('accepted');
      // A new token on the same, revoked session is rejected too.
      expect(await outcome(verifier, await signToken({ sub: 'judy', sid: 'judy-ipad' }))).toBe('ERR_TOKEN_REVOKED');
    }
  });

  it('reinstating a token makes every verifier accept it again', async () => {
    const token = await signToken({ jti: 'jti-reinstate' });
    await service.admin('/v1/revocations', { body: { type: 'token', jti: 'jti-reinstate', exp: Math.floor(Date.now() / 1000) + 600 } });
    for (const verifier of verifiers) await waitFor(() => verifier.isRevoked({ jti: 'jti-reinstate' }), 15_000, 1);
    expect((await service.admin('/v1/revocations/token/jti-reinstate', { method: 'DELETE' })).status).toBe(200);
    for (const verifier of verifiers) {
      await waitFor(() => !verifier.isRevoked({ jti: 'jti-reinstate' }), 15_000, 1);
      expect(await outcome(verifier, token)).toBe('accepted');
    }
  });

  it('a verifier started later loads every live revocation from the snapshot', async () => {
    const late = testVerifier({ redis: redisUrl, keyPrefix });
    try {
      await late.ready();
      expect(late.status.offset).toBe(verifiers[0]?.status.offset);
      expect(late.isRevoked({ jti: 'jti-propagation' })).toBe(true);
      expect(late.isRevoked({ sub: 'heidi', iat: 1 })).toBe(true);
      expect(late.isRevoked({ sid: 'judy-ipad' })).toBe(true);
      expect(late.isRevoked({ jti: 'jti-reinstate' })).toBe(false);
    } finally {
      await late.close();
    }
  });
});
