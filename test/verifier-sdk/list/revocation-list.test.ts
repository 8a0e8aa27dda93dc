import { describe, expect, it } from 'vitest';
import { RevocationList } from '../../../verifier-sdk/src/list/revocation-list.js';

const T0 = 1_700_000_000_000;
const TOLERANCE = 5000;

describe('revocation list checks', () => {
  it('matches a revoked jti, session and subject, and nothing else', () => {
    const list = new RevocationList(TOLERANCE, T0);
    list.put({ type: 'token', id: 'j1', pruneAt: T0 + 60_000 });
    list.put({ type: 'session', id: 's1', pruneAt: T0 + 60_000 });
    list.put({ type: 'subject', id: 'alice', pruneAt: T0 + 60_000, cutoff: T0 });
    expect(list.check({ jti: 'j1' })).toBe('jti');
    expect(list.check({ jti: 'j2', sid: 's1' })).toBe('session');
    expect(list.check({ jti: 'j2', sub: 'alice', iat: (T0 - 1000) / 1000 })).toBe('subject');
    expect(list.check({ jti: 'j2', sub: 'bob', iat: (T0 - 1000) / 1000, sid: 's2' })).toBe('ok');
    expect(list.counts()).toEqual({ token: 1, subject: 1, session: 1 });
  });

  it('ignores claims of the wrong type instead of matching them', () => {
    const list = new RevocationList(TOLERANCE, T0);
    list.put({ type: 'token', id: '1', pruneAt: T0 + 60_000 });
    expect(list.check({ jti: 1 })).toBe('ok');
  });

  it('reinstating removes the entry', () => {
    const list = new RevocationList(TOLERANCE, T0);
    list.apply({ op: 'revoke', at: T0, entry: { type: 'token', id: 'j1', pruneAt: T0 + 60_000 } });
    list.apply({ op: 'reinstate', at: T0, type: 'token', id: 'j1' });
    expect(list.check({ jti: 'j1' })).toBe('ok');
    expect(list.size).toBe(0);
  });
});

describe('subject cutoff boundary', () => {
  const cutoff = T0 + 123; // "log out everywhere" at T0 + 123 ms
  const list = new RevocationList(TOLERANCE, T0);
  list.put({ type: 'subject', id: 'alice', pruneAt: cutoff + 3_600_000, cutoff });

  it('rejects a token issued earlier in the same second', () => {
    expect(list.check({ sub: 'alice', iat: (T0 + 50) / 1000 })).toBe('subject');
  });

  it('rejects a token issued in the same millisecond as the cutoff', () => {
    expect(list.check({ sub: 'alice', iat: cutoff / 1000 })).toBe('subject');
  });

  it('accepts a login one millisecond after the cutoff, in the same second', () => {
    expect(list.check({ sub: 'alice', iat: (cutoff + 1) / 1000 })).toBe('ok');
  });

  it('rejects a whole-second iat in the cutoff second: it may predate the cutoff', () => {
    expect(list.check({ sub: 'alice', iat: Math.floor(cutoff / 1000) })).toBe('subject');
  });

  it('rejects a token without iat: it cannot show it came after', () => {
    expect(list.check({ sub: 'alice' })).toBe('subject');
    expect(list.check({ sub: 'alice', iat: 'later' })).toBe('subject');
  });
});

describe('pruning', () => {
  it('keeps an entry through exp + tolerance and drops it after', () => {
    const list = new RevocationList(TOLERANCE, T0);
    const exp = T0 + 10_000;
    list.put({ type: 'token', id: 'j1', pruneAt: exp });
    list.prune(exp);
    expect(list.check({ jti: 'j1' })).toBe('jti');
    list.prune(exp + TOLERANCE);
    expect(list.check({ jti: 'j1' })).toBe('jti');
    expect(list.prune(exp + TOLERANCE + 1000)).toBe(1);
    expect(list.check({ jti: 'j1' })).toBe('ok');
  });

  it('does not drop an entry that a later revocation extended', () => {
    const list = new RevocationList(TOLERANCE, T0);
    list.put({ type: 'session', id: 's1', pruneAt: T0 + 1000 });
    list.put({ type: 'session', id: 's1', pruneAt: T0 + 100_000 });
    list.prune(T0 + 50_000);
    expect(list.check({ sid: 's1' })).toBe('session');
    list.prune(T0 + 200_000);
    expect(list.check({ sid: 's1' })).toBe('ok');
  });

  it('does not keep an entry that is already past its drop time', () => {
    const list = new RevocationList(TOLERANCE, T0);
    list.prune(T0 + 60_000);
    list.put({ type: 'token', id: 'old', pruneAt: T0 });
    expect(list.size).toBe(0);
  });

  it('touches only the buckets that expire', () => {
    const list = new RevocationList(TOLERANCE, T0);
    for (let i = 0; i < 1000; i++) list.put({ type: 'token', id: `j${i}`, pruneAt: T0 + (i < 10 ? 1000 : 3_600_000) });
    expect(list.prune(T0 + 10_000)).toBe(10);
    expect(list.size).toBe(990);
  });
});
