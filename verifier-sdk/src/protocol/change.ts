import { isRevocationType, type Entry, type RevocationType } from './entry.js';
import { isValidId } from './id.js';
import { isInteger } from './integer.js';

/** One change to the revocation list, as carried on the wire; `at` is when it was recorded (epoch ms). */
export type Change =
  | { readonly op: 'revoke'; readonly entry: Entry; readonly at: number }
  | { readonly op: 'reinstate'; readonly type: RevocationType; readonly id: string; readonly at: number };

interface WireChange {
  op: 'revoke' | 'reinstate';
  type: RevocationType;
  id: string;
  at: number;
  pruneAt?: number;
  cutoff?: number;
}

export function encodeChange(change: Change): string {
  const wire: WireChange =
    change.op === 'revoke'
      ? { op: 'revoke', type: change.entry.type, id: change.entry.id, at: change.at, pruneAt: change.entry.pruneAt }
      : { op: 'reinstate', type: change.type, id: change.id, at: change.at };
  if (change.op === 'revoke' && change.entry.cutoff !== undefined) wire.cutoff = change.entry.cutoff;
  return JSON.stringify(wire);
}

/** Parses a change; `undefined` when anything about it is off. */
export function decodeChange(json: string): Change | undefined {
  let wire: unknown;
  try {
    wire = JSON.parse(json);
  } catch {
    return undefined;
  }
  return changeFromWire(wire);
}

/** Checks one already-parsed change (an element of a batch message); `undefined` when anything about it is off. */
export function changeFromWire(wire: unknown): Change | undefined {
  if (typeof wire !== 'object' || wire === null) return undefined;
  const { op, type, id, at, pruneAt, cutoff } = wire as Record<string, unknown>;
  if (!isRevocationType(type) || !isValidId(id)) return undefined;
  if (!isInteger(at)) return undefined;
  if (op === 'reinstate') return { op, type, id, at };
  if (op !== 'revoke' || !isInteger(pruneAt)) return undefined;
  if (type === 'subject') {
    if (!isInteger(cutoff)) return undefined;
    return { op, at, entry: { type, id, pruneAt, cutoff } };
  }
  if (cutoff !== undefined) return undefined;
  return { op, at, entry: { type, id, pruneAt } };
}
