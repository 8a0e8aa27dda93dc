import { ConfigError } from './config-error.js';
import { DEFAULTS } from './defaults.js';
import { parseInterval } from './duration-variables.js';

/** When the service writes the compact snapshot that verifiers join from. */
export interface SnapshotConfig {
  /** Write once this long has passed with at least one change (ms)... */
  readonly everyMs: number;
  /** ...or once this many changes were made, whichever comes first. */
  readonly everyChanges: number;
}

/**
 * `REVOCAST_SNAPSHOT_INTERVAL` (an interval, or `off` to write none) and
 * `REVOCAST_SNAPSHOT_CHANGES` (a whole number of changes). `undefined`
 * when snapshots are off: verifiers then join by reading every entry.
 */
export function parseSnapshot(env: NodeJS.ProcessEnv): SnapshotConfig | undefined {
  const interval = env.REVOCAST_SNAPSHOT_INTERVAL;
  if (interval !== undefined && interval.trim() === 'off') return undefined;
  const everyMs =
    interval === undefined || interval === '' ? DEFAULTS.snapshot.everyMs : parseInterval('REVOCAST_SNAPSHOT_INTERVAL', interval);
  const changes = env.REVOCAST_SNAPSHOT_CHANGES;
  let everyChanges: number = DEFAULTS.snapshot.everyChanges;
  if (changes !== undefined && changes !== '') {
    everyChanges = Number(changes);
    if (!/^\d+$/.test(changes.trim()) || !Number.isSafeInteger(everyChanges) || everyChanges < 1) {
      throw new ConfigError('REVOCAST_SNAPSHOT_CHANGES', `must be a whole number of changes, at least 1 (got ${JSON.stringify(changes)})`);
    }
  }
  return { everyMs, everyChanges };
}
