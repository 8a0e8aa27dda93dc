import { cutoffOf, isEnforced, memberOf, widens, type Change, type Entry, type RevocationType } from '../protocol/index.js';
import type { SyncedList } from '../sync/sync-engine.js';

/**
 * The live list with every id, where a verifier's list keeps only digests:
 * what a copy of the list (the compact snapshot) is written from. The same
 * widening rule as the verifier's list: a repeat keeps the later prune time
 * and the later cutoff.
 *
 * Expired entries are dropped when the list is read ({@link live}), not on
 * the engine's prune ticks: walking a map of millions every second would
 * cost more than keeping a few expired entries a little longer.
 */
export class EntryMap implements SyncedList {
  readonly #entries = new Map<string, Entry>();
  readonly #toleranceMs: number;

  constructor(toleranceMs: number) {
    this.#toleranceMs = toleranceMs;
  }

  apply(change: Change): void {
    if (change.op === 'revoke') this.put(change.entry);
    else this.#entries.delete(memberOf(change.type, change.id));
  }

  put(entry: Entry): void {
    const member = memberOf(entry.type, entry.id);
    const held = this.#entries.get(member);
    if (held === undefined) {
      this.#entries.set(member, entry);
      return;
    }
    // The protocol's widening rule, for each of the two things an entry holds: how long it lasts, and (subjects) how far it cuts.
    const pruneAt = Math.max(held.pruneAt, entry.pruneAt);
    if (entry.type !== 'subject') {
      if (widens(held.pruneAt, entry.pruneAt)) this.#entries.set(member, { type: entry.type, id: entry.id, pruneAt });
      return;
    }
    const cutoff = widens(cutoffOf(held), cutoffOf(entry)) ? cutoffOf(entry) : cutoffOf(held);
    if (pruneAt !== held.pruneAt || cutoff !== held.cutoff) this.#entries.set(member, { type: 'subject', id: entry.id, pruneAt, cutoff });
  }

  reserve(_counts: Partial<Record<RevocationType, number>>): void {}

  prune(): number {
    return 0;
  }

  get pruning(): boolean {
    return false;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Every entry still live at `nowMs` (kept until `pruneAt` plus the tolerance, as verifiers do); drops the rest. */
  live(nowMs: number): Entry[] {
    const live: Entry[] = [];
    for (const [member, entry] of this.#entries) {
      if (!isEnforced(entry.pruneAt, this.#toleranceMs, nowMs)) this.#entries.delete(member);
      else live.push(entry);
    }
    return live;
  }
}
