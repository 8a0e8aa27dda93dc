import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { redisKeys } from '@revocast/verifier-sdk/protocol';
import { ADMIN_SECRET, startService, storeState as storeStateOf, uniquePrefix, type ServiceHandle } from '../support/fixtures.js';

const redisUrl = inject('redisUrl');
const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

describe('admin API', () => {
  const keyPrefix = uniquePrefix();
  const keys = redisKeys(keyPrefix);
  let service: ServiceHandle;
  let redis: Redis;

  beforeAll(async () => {
    service = await startService({ redisUrl, keyPrefix });
    redis = new Redis(redisUrl);
  });
  afterAll(async () => {
    redis.disconnect();
    await service.close();
  });

  /** Everything a change touches, to prove a refused request wrote nothing. */
  const storeState = () => storeStateOf(redis, keyPrefix);

  describe('authentication', () => {
    it('answers 401 with a challenge without a key', async () => {
      const res = await fetch(`${service.url}/v1/revocations`);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(await res.json()).toMatchObject({ status: 401, code: 'ERR_UNAUTHORIZED' });
    });

    it('answers 401 for a wrong key, and for another scheme', async () => {
      for (const authorization of ['Bearer wrong-secret-0123456789', `Basic ${ADMIN_SECRET}`, `Bearer ${ADMIN_SECRET}x`, 'Bearer']) {
        const res = await fetch(`${service.url}/v1/revocations`, { headers: { authorization } });
        expect(res.status).toBe(401);
      }
    });

    it('refuses every call when no admin keys are configured', async () => {
      const closed = await startService({ redisUrl, keyPrefix: uniquePrefix(), adminKeys: [] });
      try {
        const res = await closed.admin('/v1/revocations', { body: { type: 'token', jti: 'x', exp: inAnHour() } });
        expect(res.status).toBe(401);
        expect(((await res.json()) as { detail: string }).detail).toMatch(/no admin keys are configured/);
      } finally {
        await closed.close();
      }
    });
  });

  describe('validation: a 4xx names the field and writes nothing', () => {
    const bad: Array<[string, unknown, number, string]> = [
      ['a wrong type for exp', { type: 'token', jti: 'a', exp: 'tomorrow' }, 400, 'exp'],
      ['a missing jti', { type: 'token', exp: 1 }, 400, 'jti'],
      ['a missing exp', { type: 'token', jti: 'a' }, 400, 'exp'],
      ['an unknown field', { type: 'token', jti: 'a', exp: 1, admin: true }, 400, 'admin'],
      ['an unknown type', { type: 'user', sub: 'a' }, 400, 'type'],
      ['no type', { sub: 'a' }, 400, 'type'],
      ['an array body', [{ type: 'token' }], 400, '(body)'],
      ['a null body', null, 400, '(body)'],
      ['an empty jti', { type: 'token', jti: '', exp: 1 }, 400, 'jti'],
      ['a jti over 256 characters', { type: 'token', jti: 'x'.repeat(257), exp: 1 }, 400, 'jti'],
      ['control characters in an id', { type: 'session', sid: 'a\nb' }, 400, 'sid'],
      ['a negative exp', { type: 'token', jti: 'a', exp: -5 }, 400, 'exp'],
      ['an exp past year 9999', { type: 'token', jti: 'a', exp: 1e15 }, 400, 'exp'],
      ['a cutoff in the future', { type: 'subject', sub: 'a', before: Date.now() / 1000 + 3600 }, 400, 'before'],
      ['a reason that is not a string', { type: 'subject', sub: 'a', reason: 5 }, 400, 'reason'],
      ['a sub on a subject revocation twice over', { type: 'subject', sub: 'a', sid: 'b' }, 400, 'sid'],
    ];

    it.each(bad)('%s', async (_name, body, status, field) => {
      const before = await storeState();
      const res = await service.admin('/v1/revocations', { body });
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      const problem = (await res.json()) as { code: string; detail: string; errors: Array<{ field: string }> };
      expect(problem.code).toBe('ERR_VALIDATION');
      expect(problem.errors.map((e) => e.field)).toContain(field);
      expect(problem.detail).toContain(field);
      expect(await storeState()).toEqual(before);
    });

    it('answers 400 for JSON that does not parse', async () => {
      const before = await storeState();
      const res = await service.admin('/v1/revocations', { body: '{"type": "token",' });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { errors: Array<{ field: string }> }).errors[0]?.field).toBe('(body)');
      expect(await storeState()).toEqual(before);
    });

    it('answers 413 for a huge body', async () => {
      const before = await storeState();
      const res = await service.admin('/v1/revocations', { body: { type: 'token', jti: 'a', exp: 1, reason: 'x'.repeat(100_000) } });
      expect(res.status).toBe(413);
      expect(((await res.json()) as { code: string }).code).toBe('ERR_BODY_TOO_LARGE');
      expect(await storeState()).toEqual(before);
    });

    it('answers 415 for a body that is not JSON', async () => {
      const res = await service.admin('/v1/revocations', {
        body: 'type=token',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(res.status).toBe(415);
    });

    it('answers 400 for bad list parameters', async () => {
      for (const [query, field] of [
        ['limit=0', 'limit'],
        ['limit=abc', 'limit'],
        ['type=user', 'type'],
        ['cursor=nonsense', 'cursor'],
        ['page=2', 'page'],
        ['limit=1&limit=2', 'limit'],
      ]) {
        const res = await service.admin(`/v1/revocations?${query}`);
        expect(res.status, query).toBe(400);
        expect(
          ((await res.json()) as { errors: Array<{ field: string }> }).errors.map((e) => e.field),
          query,
        ).toContain(field);
      }
    });

    it('answers 400 for a bad type or id in the path', async () => {
      expect((await service.admin('/v1/revocations/user/x')).status).toBe(400);
      expect((await service.admin(`/v1/revocations/token/${'x'.repeat(300)}`)).status).toBe(400);
    });
  });

  describe('revoking', () => {
    it('answers 201 with the stored revocation and its offset, then 200 for the same again', async () => {
      const body = { type: 'token', jti: 'tok-1', exp: inAnHour(), sub: 'carol', reason: 'laptop stolen' };
      const first = await service.admin('/v1/revocations', { body });
      expect(first.status).toBe(201);
      const created = (await first.json()) as Record<string, unknown>;
      expect(created).toMatchObject({
        type: 'token',
        jti: 'tok-1',
        exp: body.exp,
        sub: 'carol',
        reason: 'laptop stolen',
        revokedBy: 'tests',
      });
      expect(typeof created.offset).toBe('number');

      const state = await storeState();
      const again = await service.admin('/v1/revocations', { body });
      expect(again.status).toBe(200);
      expect(await again.json()).toEqual(created);
      expect(await storeState()).toEqual(state);
    });

    it('records a later cutoff for the same subject as a new change', async () => {
      const before = Date.now() / 1000 - 10;
      const first = await (await service.admin('/v1/revocations', { body: { type: 'subject', sub: 'dave', before } })).json();
      const same = await service.admin('/v1/revocations', { body: { type: 'subject', sub: 'dave', before } });
      expect(same.status).toBe(200);
      const later = await service.admin('/v1/revocations', { body: { type: 'subject', sub: 'dave' } });
      expect(later.status).toBe(201);
      const record = (await later.json()) as { before: number; offset: number };
      expect(record.before).toBeGreaterThan(before);
      expect(record.offset).toBe((first as { offset: number }).offset + 1);
    });

    it('treats a repeated session revocation without exp as the same revocation', async () => {
      expect((await service.admin('/v1/revocations', { body: { type: 'session', sid: 'ipad-1', sub: 'erin' } })).status).toBe(201);
      expect((await service.admin('/v1/revocations', { body: { type: 'session', sid: 'ipad-1', sub: 'erin' } })).status).toBe(200);
    });

    it('shows one revocation, and 404 for one that does not exist', async () => {
      await service.admin('/v1/revocations', { body: { type: 'token', jti: 'a/b c', exp: inAnHour() } });
      const res = await service.admin(`/v1/revocations/token/${encodeURIComponent('a/b c')}`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ type: 'token', jti: 'a/b c' });
      const missing = await service.admin('/v1/revocations/token/nope');
      expect(missing.status).toBe(404);
      expect(((await missing.json()) as { code: string }).code).toBe('ERR_NOT_FOUND');
    });

    it("lists a subject's revocations page by page, and filters by type", async () => {
      for (let i = 0; i < 25; i++) {
        await service.admin('/v1/revocations', {
          body: { type: i % 5 === 0 ? 'session' : 'token', [i % 5 === 0 ? 'sid' : 'jti']: `frank-${i}`, exp: inAnHour(), sub: 'frank' },
        });
      }
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res = await service.admin(`/v1/revocations?sub=frank&limit=10${cursor === null ? '' : `&cursor=${cursor}`}`);
        expect(res.status).toBe(200);
        const page = (await res.json()) as { items: Array<{ jti?: string; sid?: string }>; nextCursor: string | null };
        seen.push(...page.items.map((item) => (item.jti ?? item.sid) as string));
        cursor = page.nextCursor;
      } while (cursor !== null);
      expect(seen.sort()).toEqual(Array.from({ length: 25 }, (_, i) => `frank-${i}`).sort());

      const sessions = (await (await service.admin('/v1/revocations?sub=frank&type=session&limit=100')).json()) as {
        items: Array<{ type: string }>;
      };
      expect(sessions.items).toHaveLength(5);
      expect(sessions.items.every((item) => item.type === 'session')).toBe(true);

      const all: string[] = [];
      cursor = null;
      do {
        const page = (await (
          await service.admin(`/v1/revocations?type=token&limit=7${cursor === null ? '' : `&cursor=${cursor}`}`)
        ).json()) as {
          items: Array<{ type: string; jti: string }>;
          nextCursor: string | null;
        };
        expect(page.items.every((item) => item.type === 'token')).toBe(true);
        all.push(...page.items.map((item) => item.jti));
        cursor = page.nextCursor;
      } while (cursor !== null);
      expect(new Set(all).size).toBeGreaterThanOrEqual(20);
    });
  });

  describe('reinstating', () => {
    it('removes the revocation, publishes it with the next offset and audits it', async () => {
      const created = (await (
        await service.admin('/v1/revocations', { body: { type: 'token', jti: 'oops', exp: inAnHour() } })
      ).json()) as { offset: number };
      const res = await service.admin('/v1/revocations/token/oops?reason=revoked%20by%20mistake', { method: 'DELETE' });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { offset: number; reinstated: { jti: string } };
      expect(body.reinstated.jti).toBe('oops');
      expect(body.offset).toBeGreaterThan(created.offset);
      expect((await service.admin('/v1/revocations/token/oops')).status).toBe(404);
      expect((await service.admin('/v1/revocations/token/oops', { method: 'DELETE' })).status).toBe(404);
      const last = await redis.xrevrange(keys.log, '+', '-', 'COUNT', 1);
      expect(last[0]?.[1]).toContain(String(body.offset));

      const audit = service.logs.find((line) => (line.audit as { action?: string } | undefined)?.action === 'reinstate');
      expect(audit?.audit).toMatchObject({ actor: 'tests', type: 'token', id: 'oops', reason: 'revoked by mistake', offset: body.offset });
    });
  });

  describe('audit log', () => {
    it('has one line per change with who, what, why and offset, and never the secret', async () => {
      const res = await service.admin('/v1/revocations', { body: { type: 'subject', sub: 'grace', reason: 'password changed' } });
      const { offset } = (await res.json()) as { offset: number };
      const lines = service.logs.filter((line) => (line.audit as { id?: string } | undefined)?.id === 'grace');
      expect(lines).toHaveLength(1);
      expect(lines[0]?.audit).toEqual({
        action: 'revoke',
        actor: 'tests',
        type: 'subject',
        id: 'grace',
        reason: 'password changed',
        offset,
      });
      expect(JSON.stringify(service.logs)).not.toContain(ADMIN_SECRET);
    });
  });

  describe('operations endpoints', () => {
    it('serves /healthz and /readyz', async () => {
      expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
      expect(await (await fetch(`${service.url}/readyz`)).json()).toEqual({ status: 'ready' });
    });

    it('serves metrics: changes by type, publish latency, live entries', async () => {
      const text = await (await fetch(`${service.url}/metrics`)).text();
      expect(text).toMatch(/revocast_revocation_changes_total\{type="token",op="revoke"\} \d+/);
      expect(text).toMatch(/revocast_publish_duration_seconds_count\{op="revoke"\} \d+/);
      expect(text).toMatch(/revocast_live_entries\{type="subject"\} [1-9]/);
      expect(text).toMatch(/revocast_admin_rejections_total\{reason="unauthenticated"\} [1-9]/);
    });

    it('answers unknown routes with a 404 problem', async () => {
      const res = await fetch(`${service.url}/nope`);
      expect(res.status).toBe(404);
      expect(((await res.json()) as { code: string }).code).toBe('ERR_NOT_FOUND');
    });
  });
});
