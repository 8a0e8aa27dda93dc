import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Change, Entry, Message } from '@revocast/verifier-sdk/protocol';

/** Where the conformance vectors live (see PROTOCOL.md, "Conformance vectors"). */
export const VECTORS_DIR = 'protocol/vectors';

/** One vector: its kind says what it tests, its name the behaviour; the rest are its inputs and expected outcome. */
export interface Vector {
  readonly kind: string;
  readonly name: string;
  readonly [field: string]: unknown;
}

export interface VectorFile {
  readonly file: string;
  readonly description: string;
  readonly vectors: readonly Vector[];
}

/** A change as it travels in JSON, the form the vectors give decoded changes in. */
export interface WireChange {
  readonly op: 'revoke' | 'reinstate';
  readonly type: Entry['type'];
  readonly id: string;
  readonly at: number;
  readonly pruneAt?: number;
  readonly cutoff?: number;
}

export interface WireMessage {
  readonly epoch: string;
  readonly offset: number;
  readonly streamId: string;
  readonly change: WireChange;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Resolves the text objects of a vector: `{ "repeat": s, "times": n, "then"?: t }`
 * is s repeated n times followed by t, `{ "utf16": [units] }` the string of
 * those UTF-16 code units (how vectors spell lone surrogates, which many
 * JSON parsers replace). Everything else is returned as it is.
 */
export function resolveText(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(resolveText);
  if (!isRecord(value)) return value;
  const keys = Object.keys(value).sort().join(',');
  if (keys === 'utf16' && Array.isArray(value.utf16)) return String.fromCharCode(...(value.utf16 as number[]));
  if ((keys === 'repeat,times' || keys === 'repeat,then,times') && typeof value.repeat === 'string' && typeof value.times === 'number') {
    return value.repeat.repeat(value.times) + (typeof value.then === 'string' ? value.then : '');
  }
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, resolveText(inner)]));
}

/** Every vector file, in name order, with its text objects resolved; throws when one is not a vector file. */
export function loadVectorFiles(): VectorFile[] {
  return readdirSync(VECTORS_DIR)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => {
      const parsed = JSON.parse(readFileSync(join(VECTORS_DIR, file), 'utf8')) as unknown;
      if (!isRecord(parsed) || typeof parsed.description !== 'string' || !Array.isArray(parsed.vectors)) {
        throw new Error(`${file} is not a vector file: it needs a "description" and a "vectors" array`);
      }
      const vectors = parsed.vectors.map((vector: unknown, i: number) => {
        if (!isRecord(vector) || typeof vector.kind !== 'string' || typeof vector.name !== 'string') {
          throw new Error(`${file}: vector ${i} needs a "kind" and a "name"`);
        }
        return resolveText(vector) as Vector;
      });
      return { file, description: parsed.description, vectors };
    });
}

/** The vectors of one kind, from every file. */
export function vectorsOf(kind: string): Vector[] {
  return loadVectorFiles().flatMap((file) => file.vectors.filter((vector) => vector.kind === kind));
}

/** A decoded change in the vectors' JSON form. */
export function wireOf(change: Change): WireChange {
  if (change.op === 'reinstate') return { op: 'reinstate', type: change.type, id: change.id, at: change.at };
  const { type, id, pruneAt, cutoff } = change.entry;
  return { op: 'revoke', type, id, at: change.at, pruneAt, ...(cutoff === undefined ? {} : { cutoff }) };
}

/** The change a vector names, as the TypeScript decoders produce it. */
export function changeOf(wire: WireChange): Change {
  if (wire.op === 'reinstate') return { op: 'reinstate', type: wire.type, id: wire.id, at: wire.at };
  const entry: Entry = {
    type: wire.type,
    id: wire.id,
    pruneAt: wire.pruneAt as number,
    ...(wire.cutoff === undefined ? {} : { cutoff: wire.cutoff }),
  };
  return { op: 'revoke', entry, at: wire.at };
}

export function wireMessageOf(message: Message): WireMessage {
  return { epoch: message.epoch, offset: message.offset, streamId: message.streamId, change: wireOf(message.change) };
}
