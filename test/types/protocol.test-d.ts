import { describe, expectTypeOf, it } from 'vitest';
import {
  type SNAPSHOT_FORMAT,
  compareHead,
  decodeChange,
  decodeManifest,
  decodeMessage,
  encodeChange,
  encodeManifest,
  nextStep,
  type Change,
  type Entry,
  type Head,
  type Message,
  type Position,
  type PresenceChannel,
  type RevocationType,
  type SnapshotEncoding,
  type SnapshotManifest,
  type Standing,
  type Step,
  type SyncSource,
} from '@revocast/verifier-sdk/protocol';
import {
  createRevocationMirror,
  type Logger,
  type RedisClient,
  type RevocationMirror,
  type RevocationMirrorOptions,
  type SyncState,
} from '@revocast/verifier-sdk';

// The wire protocol's types are what other implementations and the service's writers hold to (PROTOCOL.md):
// a field that changes here changes the protocol, so it must fail a test first.

describe('the protocol types', () => {
  it('an Entry is one live revocation: its type, id, prune time and, for a subject, the cutoff', () => {
    expectTypeOf<RevocationType>().toEqualTypeOf<'token' | 'subject' | 'session'>();
    expectTypeOf<Entry>().toEqualTypeOf<{
      readonly type: RevocationType;
      readonly id: string;
      readonly pruneAt: number;
      readonly cutoff?: number;
    }>();
  });

  it('a Change revokes an entry or reinstates a type and id, dated when recorded', () => {
    expectTypeOf<Change>().toEqualTypeOf<
      | { readonly op: 'revoke'; readonly entry: Entry; readonly at: number }
      | { readonly op: 'reinstate'; readonly type: RevocationType; readonly id: string; readonly at: number }
    >();
    expectTypeOf(encodeChange).toEqualTypeOf<(change: Change) => string>();
    expectTypeOf(decodeChange).toEqualTypeOf<(json: string) => Change | undefined>();
  });

  it('a Message is a change at its position; a Position is where a reader stands', () => {
    expectTypeOf<Message>().toEqualTypeOf<{
      readonly epoch: string;
      readonly offset: number;
      readonly streamId: string;
      readonly change: Change;
    }>();
    expectTypeOf<Position>().toEqualTypeOf<{ readonly epoch: string | null; readonly offset: number; readonly streamId: string }>();
    expectTypeOf(decodeMessage).toEqualTypeOf<(raw: string) => Message | undefined>();
  });

  it('a Head is the position Redis holds, with what a verifier needs to trust it', () => {
    expectTypeOf<Head>().toEqualTypeOf<{
      readonly epoch: string | null;
      readonly offset: number;
      readonly streamId: string;
      readonly durable?: boolean;
      readonly fromReplica?: boolean;
      readonly watermark?: { readonly offset: number; readonly ageMs: number };
    }>();
    expectTypeOf<Head>().toExtend<Position>();
  });

  it('the sequence rules answer with one of a few steps and standings', () => {
    expectTypeOf<Step>().toEqualTypeOf<'apply' | 'duplicate' | 'gap' | 'reset'>();
    expectTypeOf<Standing>().toEqualTypeOf<'current' | 'behind' | 'reset' | 'lost'>();
    expectTypeOf(nextStep).toEqualTypeOf<(position: Position, message: Pick<Message, 'epoch' | 'offset'>) => Step>();
    expectTypeOf(compareHead).toEqualTypeOf<(position: Position, head: Head) => Standing>();
  });

  it('a SnapshotManifest says where the compact snapshot stands, what it holds and how to check it', () => {
    expectTypeOf<SnapshotManifest>().toEqualTypeOf<{
      readonly format: number;
      readonly id: string;
      readonly epoch: string;
      readonly offset: number;
      readonly streamId: string;
      readonly counts: Readonly<Record<RevocationType, number>>;
      readonly chunks: number;
      readonly bytes: number;
      readonly encoding: SnapshotEncoding;
      readonly sha256: string;
      readonly createdAt: number;
    }>();
    expectTypeOf<SnapshotEncoding>().toEqualTypeOf<'deflate' | 'identity'>();
    expectTypeOf<typeof SNAPSHOT_FORMAT>().toEqualTypeOf<1>();
    expectTypeOf(encodeManifest).toEqualTypeOf<(m: SnapshotManifest) => string[]>();
    expectTypeOf(decodeManifest).toEqualTypeOf<(hash: Readonly<Record<string, string>>) => SnapshotManifest | undefined>();
  });

  it('a SyncSource is what a verifier reads: subscription, head, snapshot, optional compact snapshot, stream', () => {
    expectTypeOf<SyncSource>().toEqualTypeOf<{
      subscribe(onMessage: (raw: string) => void, onResubscribed: () => void): Promise<void>;
      head(): Promise<Head>;
      snapshot(onEntries: (entries: readonly Entry[]) => void): Promise<Head>;
      compactSnapshot?(
        onEntries: (entries: readonly Entry[]) => void,
        onSize: (counts: Readonly<Record<RevocationType, number>>) => void,
      ): Promise<{ readonly head: Head; readonly from: Position } | undefined>;
      readAfter(streamId: string, count: number): Promise<readonly Message[]>;
      close(): Promise<void>;
      readonly presence?: PresenceChannel;
    }>();
  });
});

describe('createRevocationMirror', () => {
  it('takes a Redis connection and the sync options, and returns a mirror', () => {
    expectTypeOf(createRevocationMirror).toEqualTypeOf<(options: RevocationMirrorOptions) => RevocationMirror>();
    expectTypeOf<RevocationMirrorOptions>().toEqualTypeOf<{
      readonly redis: string | RedisClient;
      readonly keyPrefix?: string;
      readonly clockTolerance?: number;
      readonly pollInterval?: number;
      readonly commandTimeout?: number;
      readonly logger?: Logger;
    }>();
  });

  it('a mirror reads the live entries at a position and says when it advances', () => {
    expectTypeOf<RevocationMirror>().toEqualTypeOf<{
      ready(): Promise<void>;
      readonly state: SyncState;
      readonly position: Position;
      read(nowMs?: number): { readonly position: Position; readonly entries: Entry[] };
      onAdvanced(listener: (position: Position) => void): void;
      close(): Promise<void>;
    }>();
  });
});
