import { afterEach, expect, it } from 'vitest';
import type { Entry, SyncSource } from '@revocast/verifier-sdk/protocol';
import { NO_METRICS } from '../../../verifier-sdk/src/metrics/verifier-metrics.js';
import { SyncEngine } from '../../../verifier-sdk/src/sync/sync-engine.js';
import { waitFor } from '../../support/fixtures.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const T0 = 1_700_000_000_000;

/** A source holding `entries` and no history. */
function staticSource(entries: readonly Entry[]): SyncSource {
  const head = { epoch: null, offset: 0, streamId: '0-0' };
  return {
    subscribe: async () => {},
    head: async () => head,
    snapshot: async (onEntries) => {
      onEntries(entries);
      return head;
    },
    readAfter: async () => [],
    close: async () => {},
  };
}

let engine: SyncEngine | undefined;
afterEach(async () => {
  await engine?.close();
});

it('prunes 25,000 entries that expire in the same second in slices of at most 2,000, until none is left', async () => {
  let now = T0;
  const expiring = Array.from({ length: 25_000 }, (_, i): Entry => ({ type: 'token', id: `jti-${i}`, pruneAt: T0 + 10_000 }));
  const lasting: Entry = { type: 'token', id: 'lasting', pruneAt: T0 + 3_600_000 };
  engine = new SyncEngine({
    source: staticSource([...expiring, lasting]),
    clock: () => now,
    toleranceMs: 5000,
    pollIntervalMs: 10,
    maxStalenessMs: 3_600_000,
    logger: quiet,
    metrics: NO_METRICS,
    onStateChange: () => {},
  });
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
