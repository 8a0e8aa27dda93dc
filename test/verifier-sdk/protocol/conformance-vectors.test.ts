import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  changeFromWire,
  compareHead,
  decodeAck,
  decodeAckRequest,
  decodeChange,
  decodeLogEntry,
  decodeMessages,
  decodeManifest,
  decodeReport,
  decodeSnapshotSegment,
  decodeWatermark,
  encodeChange,
  encodeLogEntry,
  encodeMessages,
  encodeSnapshotSegment,
  idProblem,
  memberOf,
  nextStep,
  parseHead,
  parseMember,
  reachOf,
  redisKeys,
  redisTimeMs,
  snapshotFits,
  widens,
  withWatermark,
  type Entry,
  type Head,
  type Position,
  type RedisKeys,
  type SnapshotManifest,
} from '@revocast/verifier-sdk/protocol';
import { RevocationList, type RevocationClaims } from '../../../verifier-sdk/src/list/revocation-list.js';
import { confirmation, type Confirmation } from '../../../verifier-sdk/src/sync/confirmation.js';
import {
  changeOf,
  loadVectorFiles,
  wireMessageOf,
  wireOf,
  type Vector,
  type WireChange,
  type WireMessage,
} from '../../support/protocol-vectors.js';

/**
 * Runs every conformance vector in protocol/vectors/ against the TypeScript
 * implementation, the reference. A vector of a kind this file does not know
 * fails, so none is skipped in silence; PROTOCOL.md describes each kind.
 */

type Runner = (vector: Vector) => void;

const field = <T>(vector: Vector, name: string): T => vector[name] as T;

/**
 * Key names as the vectors list them: a string, or [...arguments, key] for
 * the keys named per verifier, admin key, client, session or snapshot chunk.
 */
function keysAsListed(keys: RedisKeys, expected: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(expected).map(([name, value]) => {
      const key = keys[name as keyof RedisKeys];
      if (typeof key !== 'function') return [name, key];
      const args = (value as unknown[]).slice(0, -1) as [never, never];
      return [name, [...args, (key as (...a: unknown[]) => string)(...args)]];
    }),
  );
}

function runSync(vector: Vector): void {
  let position = field<Position>(vector, 'position');
  let confirmedAt: number | null = null;
  for (const [i, step] of field<Array<Record<string, unknown>>>(vector, 'steps').entries()) {
    const where = `step ${i}`;
    if (step.receive !== undefined) {
      const message = step.receive as Position & { epoch: string };
      const decided = nextStep(position, message);
      expect(decided, where).toBe(step.step);
      if (decided === 'apply') position = message;
    }
    if (step.poll !== undefined) {
      expect(compareHead(position, step.poll as Head), where).toBe(step.standing);
    }
    // What the catch-up or reload the step calls for brought the list to.
    if (step.then !== undefined) position = step.then as Position;
    if (step.confirmation !== undefined) {
      const result = confirmation(position, step.poll as Head, step.issuedAt as number);
      expect(result, where).toEqual(step.confirmation);
      if ('at' in result && (confirmedAt === null || result.at > confirmedAt)) confirmedAt = result.at;
    }
    if ('confirmedAt' in step) expect(confirmedAt, `${where}: confirmed at`).toBe(step.confirmedAt);
  }
}

function runList(vector: Vector): void {
  const now = field<number>(vector, 'now');
  const list = new RevocationList(field<number>(vector, 'toleranceMs'), field<number | undefined>(vector, 'loadedAt') ?? now, { seed: 7 });
  for (const entry of field<Entry[]>(vector, 'entries')) list.put(entry);
  for (const wire of field<WireChange[] | undefined>(vector, 'changes') ?? []) {
    const change = changeFromWire(wire);
    expect(change, `change ${JSON.stringify(wire)} decodes`).toBeDefined();
    list.apply(change as NonNullable<typeof change>);
  }
  list.prune(now);
  for (const { claims, result } of field<Array<{ claims: RevocationClaims; result: string }>>(vector, 'checks')) {
    expect(list.check(claims), JSON.stringify(claims)).toBe(result);
  }
}

const RUNNERS: Record<string, Runner> = {
  id: (v) => expect(idProblem(v.id) === undefined).toBe(v.valid),

  keys: (v) => {
    const prefix = field<string>(v, 'prefix');
    const expected = v.keys;
    if (expected === null) {
      expect(() => redisKeys(prefix)).toThrow(/key prefix/);
      return;
    }
    const keys = redisKeys(prefix);
    if (expected !== 'valid') expect(keysAsListed(keys, expected as Record<string, unknown>)).toEqual(expected);
  },

  member: (v) => {
    const member = field<string>(v, 'member');
    const entry = field<{ type: Entry['type']; id: string } | null>(v, 'entry');
    expect(parseMember(member) ?? null).toEqual(entry);
    if (entry !== null) expect(memberOf(entry.type, entry.id)).toBe(member);
  },

  change: (v) => {
    const json = v.json === undefined ? JSON.stringify(v.wire) : field<string>(v, 'json');
    const decoded = decodeChange(json);
    expect(decoded === undefined ? null : wireOf(decoded)).toEqual(v.change);
    if (v.canonical === true) expect(encodeChange(changeOf(field<WireChange>(v, 'change')))).toBe(json);
  },

  message: (v) => {
    const raw = field<string>(v, 'raw');
    const expected = field<WireMessage[] | null>(v, 'messages');
    expect(decodeMessages(raw)?.map(wireMessageOf) ?? null).toEqual(expected);
    if (v.canonical === true && expected !== null) {
      const first = expected[0] as WireMessage;
      const bodies = expected.map((message) => encodeChange(changeOf(message.change)));
      expect(encodeMessages(first.epoch, first.offset, first.streamId, bodies)).toBe(raw);
    }
  },

  'log-entry': (v) => {
    const streamId = field<string>(v, 'streamId');
    const fields = field<string[]>(v, 'fields');
    const expected = field<WireMessage | null>(v, 'message');
    const decoded = decodeLogEntry(streamId, fields);
    expect(decoded === undefined ? null : wireMessageOf(decoded)).toEqual(expected);
    if (v.canonical === true && expected !== null) {
      expect(encodeLogEntry(expected.epoch, expected.offset, encodeChange(changeOf(expected.change)))).toEqual(fields);
    }
  },

  head: (v) => {
    const meta = field<Record<string, string | undefined>>(v, 'meta');
    const read = () => parseHead(meta.epoch ?? null, meta.offset ?? null, meta.last_id ?? null, meta.durable ?? null);
    if (v.head === 'malformed') {
      expect(read).toThrow(/malformed/);
      return;
    }
    let head = read();
    // Read on a replica: the head is marked so, and takes the watermark whether durable or not.
    if (v.replica === true) head = { ...head, fromReplica: true };
    if ('time' in v)
      head = withWatermark(head, decodeWatermark(field<string | null>(v, 'watermark')), redisTimeMs(field<[string, string]>(v, 'time')));
    expect(head).toEqual(v.head);
  },

  'next-step': (v) => expect(nextStep(field<Position>(v, 'position'), field<Position & { epoch: string }>(v, 'message'))).toBe(v.step),
  'compare-head': (v) => expect(compareHead(field<Position>(v, 'position'), field<Head>(v, 'head'))).toBe(v.standing),
  confirmation: (v) =>
    expect(confirmation(field<Position>(v, 'position'), field<Head>(v, 'head'), field<number>(v, 'issuedAt'))).toEqual(
      field<Confirmation>(v, 'confirmation'),
    ),
  sync: runSync,
  list: runList,

  widening: (v) => {
    const held = field<Entry | null>(v, 'held');
    const repeat = field<Entry>(v, 'repeat');
    const reach = field<number | undefined>(v, 'rank') ?? (reachOf(repeat) as number);
    expect(widens(held === null ? undefined : reachOf(held), reach)).toBe(v.widens);
  },

  'snapshot-segment': (v) => {
    const bytes = Buffer.from(field<string>(v, 'hex'), 'hex');
    const expected = field<Entry[] | null>(v, 'entries');
    if (expected === null) {
      expect(() => decodeSnapshotSegment(bytes)).toThrow(/snapshot segment is malformed/);
      return;
    }
    expect(decodeSnapshotSegment(bytes)).toEqual(expected);
    if (v.canonical === true) expect(Buffer.from(encodeSnapshotSegment(expected)).toString('hex')).toBe(v.hex);
  },
  'snapshot-manifest': (v) => expect(decodeManifest(field<Record<string, string>>(v, 'hash')) ?? null).toEqual(v.manifest),
  'snapshot-fits': (v) => expect(snapshotFits(field<SnapshotManifest>(v, 'manifest'), field<Head>(v, 'head'))).toBe(v.fit),

  'ack-request': (v) => expect(decodeAckRequest(field<string>(v, 'raw')) ?? null).toEqual(v.request),
  ack: (v) => expect(decodeAck(field<string>(v, 'raw')) ?? null).toEqual(v.ack),
  report: (v) => expect(decodeReport(field<string>(v, 'json')) ?? null).toEqual(v.report),
};

const files = loadVectorFiles();

describe('the protocol conformance vectors', () => {
  it('are there: every file holds vectors, and every kind has some', () => {
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) expect(file.vectors.length, file.file).toBeGreaterThan(0);
    const kinds = new Set(files.flatMap((file) => file.vectors.map((vector) => vector.kind)));
    expect([...kinds].sort()).toEqual(Object.keys(RUNNERS).sort());
  });

  it('are documented: PROTOCOL.md describes every kind and lists every file with its kinds', () => {
    const section = readFileSync('PROTOCOL.md', 'utf8').split('## Conformance vectors')[1] ?? '';
    const rows = [...section.matchAll(/^\| `([a-z0-9.-]+)` \| ([^|]*) \|/gm)].map((m) => [m[1] as string, m[2] as string] as const);
    const documentedKinds = rows.filter(([name]) => !name.endsWith('.json')).map(([name]) => name);
    expect(documentedKinds.sort()).toEqual(Object.keys(RUNNERS).sort());
    const documentedFiles = Object.fromEntries(
      rows
        .filter(([name]) => name.endsWith('.json'))
        .map(([name, kinds]) => [name, [...kinds.matchAll(/`([a-z-]+)`/g)].map((m) => m[1]).sort()]),
    );
    const actualFiles = Object.fromEntries(
      files.map(({ file, vectors }) => [file, [...new Set(vectors.map((vector) => vector.kind))].sort()]),
    );
    expect(documentedFiles).toEqual(actualFiles);
  });

  for (const { file, vectors } of files) {
    describe(file, () => {
      for (const vector of vectors) {
        it(`${vector.kind}: ${vector.name}`, () => {
          const run = RUNNERS[vector.kind];
          if (run === undefined)
            throw new Error(`${file}: unknown vector kind ${JSON.stringify(vector.kind)} (known: ${Object.keys(RUNNERS).join(', ')})`);
          run(vector);
        });
      }
    });
  }
});
