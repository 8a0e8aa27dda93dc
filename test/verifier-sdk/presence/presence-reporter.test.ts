import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Verifier } from '@revocast/verifier-sdk';
import { decodeAck, decodeReport, encodeAckRequest, redisKeys } from '@revocast/verifier-sdk/protocol';
import { SDK_VERSION } from '../../../verifier-sdk/src/version.js';
import { startService, testVerifier, uniquePrefix, waitFor, type ServiceHandle } from '../../support/fixtures.js';

describe('verifier presence', () => {
  const redisUrl = inject('redisUrl');
  const keyPrefix = uniquePrefix();
  const keys = redisKeys(keyPrefix);
  let service: ServiceHandle;
  let redis: Redis;
  let listener: Redis;
  const acks: string[] = [];
  let verifier: Verifier;

  beforeAll(async () => {
    service = await startService({ redisUrl, keyPrefix });
    redis = new Redis(redisUrl);
    listener = new Redis(redisUrl);
    listener.on('message', (_channel: string, message: string) => acks.push(message));
    await listener.subscribe(keys.acks);
    verifier = testVerifier({ redis: redisUrl, keyPrefix, id: 'api-7', heartbeatInterval: 0.2 });
    await verifier.ready();
  });
  afterAll(async () => {
    await verifier.close();
    listener.disconnect();
    redis.disconnect();
    await service.close();
  });

  it('reports the version in package.json', () => {
    const pkg = JSON.parse(readFileSync('verifier-sdk/package.json', 'utf8')) as { version: string };
    expect(SDK_VERSION).toBe(pkg.version);
  });

  it('keeps a report with an expiry of three heartbeats, renewed on each', async () => {
    await waitFor(async () => (await redis.exists(keys.verifier('api-7'))) === 1, 15_000, 10);
    const ttl = await redis.pttl(keys.verifier('api-7'));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(600);
    const first = decodeReport((await redis.get(keys.verifier('api-7'))) as string);
    // Renewed by the next heartbeat (200 ms apart; later on a loaded machine).
    let later = first;
    await waitFor(
      async () => {
        later = decodeReport((await redis.get(keys.verifier('api-7'))) as string);
        return (later?.reportedAt as number) > (first?.reportedAt as number);
      },
      15_000,
      20,
    );
    expect(later).toMatchObject({ id: 'api-7', state: 'ready', sdkVersion: SDK_VERSION, heartbeatMs: 200 });
  });

  it('publishes no acknowledgement unless the service asks for one', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await service.admin('/v1/revocations', { body: { type: 'session', sid: `quiet-${i}` } });
      expect(res.status).toBe(201);
    }
    await waitFor(() => verifier.isRevoked({ sid: 'quiet-4' }), 15_000, 2);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(acks).toEqual([]);
  });

  it('acknowledges once asked: at once for an applied change, later for one still to come', async () => {
    const { epoch, offset } = verifier.status;
    await redis.publish(keys.ackRequests, encodeAckRequest(epoch as string, offset));
    await waitFor(() => acks.length === 1, 15_000, 2);
    expect(decodeAck(acks[0] as string)).toEqual({ epoch, offset, id: 'api-7' });

    // Asked about the next offset before it exists: the answer comes when it is applied.
    await redis.publish(keys.ackRequests, encodeAckRequest(epoch as string, offset + 1));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(acks).toHaveLength(1);
    await service.admin('/v1/revocations', { body: { type: 'session', sid: 'next-one' } });
    await waitFor(() => acks.length === 2, 15_000, 2);
    expect(decodeAck(acks[1] as string)).toEqual({ epoch, offset: offset + 1, id: 'api-7' });
  });

  it('refuses an id that could not be reported', () => {
    expect(() => testVerifier({ redis: redisUrl, keyPrefix, id: 'has space' })).toThrow(/id:/);
  });
});
