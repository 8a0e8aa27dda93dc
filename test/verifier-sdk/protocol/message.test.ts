import { describe, expect, it } from 'vitest';
import {
  decodeChange,
  decodeLogEntry,
  decodeMessage,
  decodeMessages,
  encodeBatchMessage,
  encodeChange,
  encodeMessage,
  memberOf,
  parseMember,
  redisKeys,
} from '@revocast/verifier-sdk/protocol';

const EPOCH = '0123456789abcdef';

describe('message codec', () => {
  it('round-trips every kind of change', () => {
    const changes = [
      { op: 'revoke', at: 1, entry: { type: 'token', id: 'a:b', pruneAt: 1000 } },
      { op: 'revoke', at: 2, entry: { type: 'subject', id: 'alice', pruneAt: 5000, cutoff: 2000 } },
      { op: 'revoke', at: 3, entry: { type: 'session', id: 'ipad', pruneAt: 3000 } },
      { op: 'reinstate', at: 4, type: 'subject', id: 'alice' },
    ] as const;
    for (const [i, change] of changes.entries()) {
      const raw = encodeMessage(EPOCH, i + 1, `17-${i}`, encodeChange(change));
      expect(decodeMessage(raw)).toEqual({ epoch: EPOCH, offset: i + 1, streamId: `17-${i}`, change });
    }
  });

  it('keeps ids that contain the separator', () => {
    const change = { op: 'revoke', at: 1, entry: { type: 'token', id: 'x:y:z', pruneAt: 9 } } as const;
    expect(decodeMessage(encodeMessage(EPOCH, 1, '1-0', encodeChange(change)))?.change).toEqual(change);
  });

  it.each([
    ['no separators', 'garbage'],
    ['a bad epoch', `XYZ:1:1-0:{}`],
    ['offset 0', `${EPOCH}:0:1-0:${encodeChange({ op: 'reinstate', at: 1, type: 'token', id: 'a' })}`],
    ['a negative offset', `${EPOCH}:-1:1-0:{}`],
    ['an offset past 2^53', `${EPOCH}:99999999999999999:1-0:{}`],
    ['a bad stream id', `${EPOCH}:1:abc:{}`],
    ['bad JSON', `${EPOCH}:1:1-0:{not json`],
    ['an unknown op', `${EPOCH}:1:1-0:{"op":"drop","type":"token","id":"a","at":1}`],
    ['an unknown type', `${EPOCH}:1:1-0:{"op":"reinstate","type":"user","id":"a","at":1}`],
    ['a revoke without pruneAt', `${EPOCH}:1:1-0:{"op":"revoke","type":"token","id":"a","at":1}`],
    ['a subject without cutoff', `${EPOCH}:1:1-0:{"op":"revoke","type":"subject","id":"a","at":1,"pruneAt":5}`],
    ['an empty id', `${EPOCH}:1:1-0:{"op":"reinstate","type":"token","id":"","at":1}`],
    ['a non-string id', `${EPOCH}:1:1-0:{"op":"reinstate","type":"token","id":5,"at":1}`],
  ])('rejects a message with %s', (_name, raw) => {
    expect(decodeMessage(raw)).toBeUndefined();
  });

  it('decodes stream entries and rejects incomplete ones', () => {
    const change = encodeChange({ op: 'reinstate', at: 5, type: 'session', id: 's1' });
    expect(decodeLogEntry('5-0', ['e', EPOCH, 'o', '7', 'c', change])?.offset).toBe(7);
    expect(decodeLogEntry('5-0', ['e', EPOCH, 'c', change])).toBeUndefined();
    expect(decodeChange('[]')).toBeUndefined();
  });
});

describe('batch messages', () => {
  const changes = [
    { op: 'revoke', at: 1, entry: { type: 'token', id: 'a', pruneAt: 1000 } },
    { op: 'revoke', at: 1, entry: { type: 'subject', id: 'bob', pruneAt: 5000, cutoff: 2000 } },
    { op: 'reinstate', at: 1, type: 'session', id: 's:1' },
  ] as const;

  it('give each change of a batch its own offset and stream id, counting up from the first', () => {
    const raw = encodeBatchMessage(EPOCH, 41, '1700000000000-7', changes.map(encodeChange));
    expect(decodeMessages(raw)).toEqual([
      { epoch: EPOCH, offset: 41, streamId: '1700000000000-7', change: changes[0] },
      { epoch: EPOCH, offset: 42, streamId: '1700000000000-8', change: changes[1] },
      { epoch: EPOCH, offset: 43, streamId: '1700000000000-9', change: changes[2] },
    ]);
  });

  it('read a single message as a batch of one', () => {
    const raw = encodeMessage(EPOCH, 5, '9-0', encodeChange(changes[2]));
    expect(decodeMessages(raw)).toEqual([decodeMessage(raw)]);
  });

  it.each([
    ['an empty batch', `${EPOCH}:1:1-0:[]`],
    ['one bad change among good ones', `${EPOCH}:1:1-0:[${encodeChange(changes[0])},{"op":"drop"}]`],
    ['a cut-off array', `${EPOCH}:1:1-0:[${encodeChange(changes[0])}`],
    ['a bad header', `nothex:1:1-0:[${encodeChange(changes[0])}]`],
  ])('reject %s as a whole', (_name, raw) => {
    expect(decodeMessages(raw)).toBeUndefined();
  });
});

describe('redis keys', () => {
  it('share one hash tag', () => {
    const keys = redisKeys('acme');
    for (const key of [
      keys.meta,
      keys.entries,
      keys.cutoffs,
      keys.details,
      keys.log,
      keys.channel,
      keys.bySub,
      keys.rateLimit('ops'),
      keys.authFailures('2001:db8:0:0::/64'),
      keys.consoleSession('ab12'),
    ]) {
      expect(key.startsWith('{acme}:')).toBe(true);
    }
  });

  it('refuse prefixes that would break the hash tag', () => {
    expect(() => redisKeys('a}b')).toThrow(/key prefix/);
    expect(() => redisKeys('')).toThrow(/key prefix/);
  });

  it('name members after the claim they match', () => {
    expect(memberOf('token', 'a')).toBe('jti:a');
    expect(memberOf('subject', 'a')).toBe('sub:a');
    expect(memberOf('session', 'a')).toBe('sid:a');
    expect(parseMember('sid:x:y')).toEqual({ type: 'session', id: 'x:y' });
    expect(parseMember('foo:x')).toBeUndefined();
    expect(parseMember('jti:')).toBeUndefined();
  });
});
