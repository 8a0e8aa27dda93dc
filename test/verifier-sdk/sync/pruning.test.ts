import { afterEach, expect, it } from 'vitest';
import type { Entry } from '@revocast/verifier-sdk/protocol';
import type { SyncEngine } from '../../../verifier-sdk/src/sync/sync-engine.js';
import { waitFor } from '../../support/fixtures.js';
import { staticEngine } from '../../support/static-engine.js';

const T0 = 1_700_000_000_000;

let engine: SyncEngine | undefined;
afterEach(async () => {
  await engine?.close();
});

it('prunes 25,000 entries that expire in the same second in slices of at most 2,000, until none is left', async () => {
  let now = T0;
  const expiring = Array.from({ length: 25_000 }, (_, i): Entry => ({ type: 'token', id: `jti-${i}`, pruneAt: T0 + 10_000 }));
  const lasting: Entry = { type: 'token', id: 'lasting', pruneAt: T0 + 3_600_000 };
  engine = staticEngine([...expiring, lasting], () => now, 10);
  engine.start();
  await engine.ready();
  const list = engine.list;
  expect(list.size).toBe(25_001);

  const slices: number[] = [];
  const prune = list.prune.bind(list);
  list.prune = (nowMs, budget) => {
    const dropped = prune(nowMs, budget);
    if (dropped > 0) slices.push(dropped);
    return dropped;
  };
  now = T0 + 60_000;
  await waitFor(() => list.size === 1, 5000);
  expect(slices.length).toBeGreaterThanOrEqual(13);
  expect(Math.max(...slices)).toBeLessThanOrEqual(2_000);
  expect(list.has('token', 'lasting')).toBe(true);
});
