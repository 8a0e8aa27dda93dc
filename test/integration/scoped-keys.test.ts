import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startService, uniquePrefix, type ServiceHandle } from '../support/fixtures.js';

const READER = 'reader-secret-0123456789';
const REVOKER = 'revoker-secret-0123456789';
const LIMITED = 'limited-secret-0123456789';
const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

describe('scoped admin keys with rate limits', () => {
  const redisUrl = inject('redisUrl');
  let service: ServiceHandle;

  beforeAll(async () => {
    service = await startService({
      redisUrl,
      keyPrefix: uniquePrefix(),
      adminKeys: [
        { name: 'reader', secret: READER, scopes: ['read'] },
        { name: 'revoker', secret: REVOKER, scopes: ['revoke'] },
        { name: 'limited', secret: LIMITED, rateLimit: { requests: 3, perMs: 60_000 } },
      ],
    });
  });
  afterAll(() => service.close());

  const call = (secret: string, path: string, init: { method?: string; body?: unknown } = {}) =>
    fetch(service.url + path, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });

  it('lets a read key list but answers 403 naming the missing scope when it revokes, writing nothing', async () => {
    expect((await call(READER, '/v1/revocations')).status).toBe(200);
    expect((await call(READER, '/v1/verifiers')).status).toBe(200);
    const res = await call(READER, '/v1/revocations', { body: { type: 'token', jti: 'scoped-1', exp: inAnHour() } });
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(await res.json()).toMatchObject({
      status: 403,
      code: 'ERR_FORBIDDEN',
      detail: 'the admin key "reader" lacks the "revoke" scope',
    });
    expect((await call(REVOKER, '/v1/revocations/token/scoped-1')).status).toBe(403);
    expect((await call(LIMITED, '/v1/revocations/token/scoped-1')).status).toBe(404);
  });

  it('needs the revoke scope for a batch too', async () => {
    const res = await call(READER, '/v1/revocations/batch', { body: { items: [{ type: 'token', jti: 'scoped-batch', exp: inAnHour() }] } });
    expect(res.status).toBe(403);
    // 201, not 200: the refused batch wrote nothing.
    expect(
      (await call(REVOKER, '/v1/revocations/batch', { body: { items: [{ type: 'token', jti: 'scoped-batch', exp: inAnHour() }] } })).status,
    ).toBe(201);
  });

  it('lets a revoke key revoke but neither read nor reinstate', async () => {
    expect((await call(REVOKER, '/v1/revocations', { body: { type: 'token', jti: 'scoped-2', exp: inAnHour() } })).status).toBe(201);
    expect((await call(REVOKER, '/v1/revocations')).status).toBe(403);
    const res = await call(REVOKER, '/v1/revocations/token/scoped-2', { method: 'DELETE' });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { detail: string }).detail).toMatch(/"reinstate" scope/);
    expect((await call(READER, '/v1/revocations/token/scoped-2')).status).toBe(200);
  });

  it('answers 429 with Retry-After once a key is over its limit, without touching other keys', async () => {
    // The first test spent one of its three requests.
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await call(LIMITED, '/v1/revocations')).status);
    expect(statuses).toEqual([200, 200, 429, 429]);
    const limited = await call(LIMITED, '/v1/revocations');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await limited.json()).toMatchObject({ code: 'ERR_RATE_LIMITED' });
    expect((await call(READER, '/v1/revocations')).status).toBe(200);
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toMatch(/revocast_admin_rejections_total\{reason="rate_limited"\} [1-9]/);
    expect(metrics).toMatch(/revocast_admin_rejections_total\{reason="forbidden"\} [1-9]/);
  });
});
