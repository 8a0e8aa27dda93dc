import type { Entry, SyncSource } from '@revocast/verifier-sdk/protocol';
import { NO_METRICS } from '../../verifier-sdk/src/metrics/verifier-metrics.js';
import { SyncEngine } from '../../verifier-sdk/src/sync/sync-engine.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * A sync engine whose source holds `entries` (handed over in pages of 5,000)
 * and no history: for tests and benchmarks of what the engine does with its
 * list, without Redis. Tolerance 5 s; never stale within an hour.
 */
export function staticEngine(entries: readonly Entry[], clock: () => number, pollIntervalMs: number): SyncEngine {
  const head = { epoch: null, offset: 0, streamId: '0-0' };
  const source: SyncSource = {
    subscribe: async () => {},
    head: async () => head,
    snapshot: async (onEntries) => {
      for (let i = 0; i < entries.length; i += 5000) onEntries(entries.slice(i, i + 5000));
      return head;
    },
    readAfter: async () => [],
    close: async () => {},
  };
  return new SyncEngine({
    source,
    clock,
    toleranceMs: 5000,
    pollIntervalMs,
    maxStalenessMs: 3_600_000,
    logger: quiet,
    metrics: NO_METRICS,
    onStateChange: () => {},
  });
}
