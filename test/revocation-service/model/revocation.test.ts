import { describe, expect, it } from 'vitest';
import { planRevocation, toApi } from '../../../revocation-service/src/model/revocation.js';

const now = 1_700_000_000_500;
const context = { now, maxTokenTtlMs: 3_600_000, actor: 'ops' };

describe('planning a revocation', () => {
  it('a token lasts until its exp', () => {
    const plan = planRevocation({ type: 'token', jti: 'j', exp: 1_700_000_600 }, context);
    expect(plan.entry).toEqual({ type: 'token', id: 'j', pruneAt: 1_700_000_600_000 });
    expect(plan.rank).toBe(1_700_000_600_000);
  });

  it('a subject cutoff defaults to now, in milliseconds, and lasts the maximum token lifetime past it', () => {
    const plan = planRevocation({ type: 'subject', sub: 'u' }, context);
    expect(plan.entry).toEqual({ type: 'subject', id: 'u', cutoff: now, pruneAt: now + 3_600_000 });
    expect(toApi(plan.record)).toMatchObject({ type: 'subject', sub: 'u', before: 1_700_000_000.5 });
  });

  it('an explicit cutoff keeps its fraction of a second', () => {
    expect(planRevocation({ type: 'subject', sub: 'u', before: 1_699_999_999.25 }, context).entry.cutoff).toBe(1_699_999_999_250);
  });

  it('a session without exp lasts the maximum token lifetime, and never widens on repeat', () => {
    const plan = planRevocation({ type: 'session', sid: 's' }, context);
    expect(plan.entry.pruneAt).toBe(now + 3_600_000);
    expect(plan.rank).toBe(0);
    expect(planRevocation({ type: 'session', sid: 's', exp: 1_800_000_000 }, context).rank).toBe(1_800_000_000_000);
  });

  it('shows the id under its claim name', () => {
    const api = toApi({ ...planRevocation({ type: 'session', sid: 's', sub: 'u', reason: 'lost' }, context).record, offset: 4 });
    expect(api).toEqual({
      type: 'session',
      sid: 's',
      sub: 'u',
      exp: (now + 3_600_000) / 1000,
      reason: 'lost',
      revokedBy: 'ops',
      revokedAt: new Date(now).toISOString(),
      expiresAt: new Date(now + 3_600_000).toISOString(),
      offset: 4,
    });
  });
});
