import type { Entry } from './entry.js';

/**
 * How far a revocation reaches, the measure a repeat is compared by: the
 * cutoff of a subject revocation (later covers more tokens), the prune time
 * of any other (later lasts longer). `undefined` for a subject without a
 * cutoff, which no writer stores: what it reaches cannot be told.
 */
export function reachOf(entry: Pick<Entry, 'type' | 'pruneAt' | 'cutoff'>): number | undefined {
  return entry.type === 'subject' ? entry.cutoff : entry.pruneAt;
}

/**
 * The widening rule: a revocation that repeats one in force changes
 * something only when it reaches further than the one held. `held` is the
 * reach of the revocation in force ({@link reachOf}), `undefined` when there
 * is none or its reach cannot be read; `reach` that of the repeat. Equal
 * reach is no change, so repeats are idempotent. A writer that cannot tell
 * what is held writes: when in doubt a revocation stays.
 *
 * The one copy in TypeScript (the memory store, the adoption of Redis's
 * revocations into the record); the Redis writers run its Lua copy
 * (`LUA_PROTOCOL.widening`) and the record its SQL form in `record_change`,
 * and a contract test feeds all of them the widening vectors.
 */
export function widens(held: number | undefined, reach: number): boolean {
  return held === undefined || reach > held;
}
