import { afterEach, describe, expect, inject, it } from 'vitest';
import type { Verifier } from '@revocast/verifier-sdk';
import { startService, testVerifier, uniquePrefix, waitFor, type ServiceHandle } from '../support/fixtures.js';

const redisUrl = inject('redisUrl');

/**
 * A verifier in a busy process: every turn of its event loop takes several
 * times `commandTimeout` (a server under heavy load), yet Redis answers each
 * read at once. Before, the command timer fired before the answer was read
 * on every such turn, no head read ever counted, and the verifier failed
 * closed for as long as the load lasted. Currency is dated by when a read
 * was sent, so these reads confirm the list well within the budget.
 */
describe('a verifier whose event loop runs late', () => {
  let service: ServiceHandle | undefined;
  let verifier: Verifier | undefined;
  afterEach(async () => {
    await verifier?.close();
    await service?.close();
  });

  it('stays current when every turn of its event loop takes five times commandTimeout', async () => {
    const keyPrefix = uniquePrefix();
    service = await startService({ redisUrl, keyPrefix });
    const v = testVerifier({ redis: redisUrl, keyPrefix, maxStaleness: 3, pollInterval: 0.1, commandTimeout: 0.1, heartbeatInterval: 0 });
    verifier = v;
    await v.ready();

    const states = new Set<string>();
    let turns = 0;
    let busy = true;
    // Each turn holds the loop for 500 ms; the poll timer, the Redis replies and this loop take turns.
    const spin = () => {
      if (!busy) return;
      turns++;
      states.add(v.status.stale ? 'stale' : v.status.state);
      const until = performance.now() + 500;
      while (performance.now() < until);
      setImmediate(spin);
    };
    const confirmedBefore = v.status.lastSyncAt?.getTime() ?? 0;
    setImmediate(spin);
    const revoked = service.admin('/v1/revocations', {
      body: { type: 'token', jti: 'made-under-load', exp: Math.floor(Date.now() / 1000) + 3600 },
    });
    try {
      expect((await revoked).status).toBe(201);
      // Two budgets long: on the code before, the list turned stale after one.
      await new Promise((resolve) => setTimeout(resolve, 6000));
    } finally {
      busy = false;
    }
    expect(turns).toBeGreaterThan(6);
    expect([...states]).toEqual(['ready']);
    expect(v.status.lastSyncAt?.getTime() ?? 0).toBeGreaterThan(confirmedBefore);
    await waitFor(() => v.isRevoked({ jti: 'made-under-load' }));
  }, 30_000);
});
