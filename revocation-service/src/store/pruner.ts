import type { Logger } from 'pino';
import type { RevocationStore } from './revocation-store.js';
import { DEFAULTS } from '../config/defaults.js';

/** Prunes expired revocations from the store every `intervalMs` (default {@link DEFAULTS.pruneIntervalMs}, 10 s). Returns a stop function. */
export function startPruner(
  store: RevocationStore,
  logger: Logger,
  intervalMs: number = DEFAULTS.pruneIntervalMs,
  clock: () => number = Date.now,
): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    store
      .prune(clock())
      .then((removed) => {
        if (removed > 0) logger.debug({ removed }, 'pruned expired revocations');
      })
      .catch((err: unknown) => logger.warn({ err }, 'pruning failed; will retry'))
      .finally(() => {
        running = false;
      });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
