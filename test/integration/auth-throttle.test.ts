import { describe, expect, inject, it } from 'vitest';
import { clientOf } from '../../revocation-service/src/http/auth-throttle.js';
import { ADMIN_SECRET, startService, uniquePrefix, type ServiceHandle } from '../support/fixtures.js';

/**
 * Failed admin authentications are throttled per client address: past 10
 * failures a minute (the default), further failures are answered 429, with
 * a metric and one log line that names the address and never the key. A
 * valid key always passes, however many failures came from its address.
 */

const redisUrl = inject('redisUrl');
const WRONG = (i: number) => `wrong-key-${i}-that-is-long-enough`;

async function throttled(service: ServiceHandle, from = 0, count = 30): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = from; i < from + count; i++) {
    const res = await fetch(`${service.url}/v1/revocations`, { headers: { authorization: `Bearer ${WRONG(i)}` } });
    statuses.push(res.status);
    if (res.status === 429) {
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(((await res.json()) as { code: string }).code).toBe('ERR_RATE_LIMITED');
    } else await res.body?.cancel();
  }
  return statuses;
}

async function metric(service: ServiceHandle, reason: string): Promise<number> {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  return Number(new RegExp(`^revocast_admin_rejections_total\\{reason="${reason}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? Number.NaN);
}

describe('throttling failed admin authentication per client address', () => {
  it('answers 429 past the budget of failures, counts and logs it once without the key, and lets a valid key through', async () => {
    let now = Date.now();
    const service = await startService({ redisUrl, keyPrefix: uniquePrefix(), clock: () => now });
    try {
      const statuses = await throttled(service);
      expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
      expect(statuses.slice(10)).toEqual(Array(20).fill(429));
      expect(await metric(service, 'throttled')).toBe(20);
      expect(await metric(service, 'unauthenticated')).toBe(10);

      // The valid key from the same address is never locked out.
      expect((await service.admin('/v1/revocations')).status).toBe(200);

      const warned = service.logs.filter((line) => String(line.msg).includes('keeps failing from this address'));
      expect(warned).toHaveLength(1);
      expect(warned[0]?.client).toBe('127.0.0.1');
      const everything = JSON.stringify(service.logs);
      for (let i = 0; i < 30; i++) expect(everything).not.toContain(WRONG(i));

      // The budget comes back with time.
      now += 60_000;
      expect((await throttled(service, 100, 1))[0]).toBe(401);
    } finally {
      await service.close();
    }
  });

  it('throttles failed console sign-ins too, while the valid key still signs in', async () => {
    // A still clock: no budget comes back while the test runs, however slow the machine.
    const now = Date.now();
    const service = await startService({ redisUrl, keyPrefix: uniquePrefix(), clock: () => now });
    try {
      const signIn = async (key: string) => {
        const form = await fetch(`${service.url}/admin/login`);
        const cookie = (form.headers.get('set-cookie') ?? '').split(';')[0] as string;
        const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1] as string;
        const res = await fetch(`${service.url}/admin/login`, {
          method: 'POST',
          redirect: 'manual',
          headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ _csrf: csrf, key }),
        });
        await res.body?.cancel();
        return res.status;
      };
      const statuses: number[] = [];
      for (let i = 0; i < 15; i++) statuses.push(await signIn(WRONG(i)));
      expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
      expect(statuses.slice(10)).toEqual(Array(5).fill(429));
      expect(await signIn(ADMIN_SECRET)).toBe(303);
    } finally {
      await service.close();
    }
  });

  it('counts an IPv6 client by its /64 and an IPv4-mapped one as IPv4', () => {
    expect(clientOf('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(clientOf('2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(clientOf('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientOf('::1')).toBe('0:0:0:0::/64');
    expect(clientOf('::ffff:10.0.0.7')).toBe('10.0.0.7');
    expect(clientOf('10.0.0.7')).toBe('10.0.0.7');
    expect(clientOf(undefined)).toBe('unknown');
  });
});
