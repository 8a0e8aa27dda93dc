import { Counter, Gauge, type Registry } from 'prom-client';
import type { WriteResult } from '../snapshot/snapshot-writer.js';

/** The instruments of the compact snapshot writer. */
export interface SnapshotMetrics {
  /** One attempt, and (when written) what the snapshot holds. */
  attempt(result: WriteResult | 'failed', written?: { readonly entries: number; readonly bytes: number }): void;
}

export const NO_SNAPSHOT_METRICS: SnapshotMetrics = { attempt() {} };

/** Registers the snapshot metrics on `registry`. */
export function createSnapshotMetrics(registry: Registry): SnapshotMetrics {
  const registers = [registry];
  const writes = new Counter({
    name: 'revocast_snapshot_writes_total',
    help: 'Attempts to write the compact snapshot verifiers join from, by result (written, not-newer, not-in-history, chunk-missing, unchanged, failed).',
    labelNames: ['result'] as const,
    registers,
  });
  const entries = new Gauge({
    name: 'revocast_snapshot_entries',
    help: 'Entries in the last compact snapshot this replica wrote.',
    registers,
  });
  const bytes = new Gauge({
    name: 'revocast_snapshot_bytes',
    help: 'Stored (compressed) bytes of the last compact snapshot this replica wrote.',
    registers,
  });
  return {
    attempt(result, written) {
      writes.inc({ result });
      if (written !== undefined) {
        entries.set(written.entries);
        bytes.set(written.bytes);
      }
    },
  };
}
