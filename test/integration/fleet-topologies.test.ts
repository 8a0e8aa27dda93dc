import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Verifier } from '@revocast/verifier-sdk';
import { redisKeys } from '@revocast/verifier-sdk/protocol';
import { FormClient } from '../support/example-app.js';
import { ADMIN_SECRET, startService, testVerifier, uniquePrefix, waitFor, type ServiceHandle } from '../support/fixtures.js';
import { startRedisServer } from '../support/redis-server.js';
import { command, startRedisCluster, startRedisSentinel } from '../support/redis-topologies.js';

const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

interface Topology {
  readonly url: string;
  /** A plain URL of the node that holds the key prefix's keys, to look at its pub/sub. */
  nodeOf(key: string): Promise<string>;
  stop(): Promise<void>;
}

const topologies: Record<string, () => Promise<Topology>> = {
  standalone: async () => {
    const server = await startRedisServer();
    return { url: server.url, nodeOf: async () => server.url, stop: () => server.stop() };
  },
  sentinel: async () => {
    const handle = await startRedisSentinel();
    return { url: handle.url, nodeOf: async () => (await handle.master()).url, stop: () => handle.stop() };
  },
  cluster: async () => {
    const handle = await startRedisCluster();
    return { url: handle.url, nodeOf: async (key) => (await handle.ownerOf(key)).url, stop: () => handle.stop() };
  },
};

interface Propagation {
  applied: number;
  total: number;
  complete: boolean;
  pending: string[];
  message: string;
}

/** Reads Server-Sent Events until `until` holds for one of them (or the time runs out). */
async function readEvents(res: Response, until: (event: { event: string; data: string }) => boolean, timeoutMs: number): Promise<boolean> {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  const deadline = Date.now() + timeoutMs;
  try {
    while (Date.now() < deadline) {
      const next = await Promise.race([
        reader.read(),
        new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), deadline - Date.now())),
      ]);
      if (next === undefined || next.done) return false;
      buffered += decoder.decode(next.value, { stream: true });
      for (let end = buffered.indexOf('\n\n'); end >= 0; end = buffered.indexOf('\n\n')) {
        const block = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
        const data = /^data: (.*)$/m.exec(block)?.[1] ?? '';
        if (until({ event, data })) return true;
      }
    }
    return false;
  } finally {
    await reader.cancel().catch(() => {});
  }
}

/**
 * The fleet features (who is listening, wait=all, the live change stream
 * the console watches) on each Redis topology the service accepts a URL
 * for: every connection of the service opens through one factory, so a URL
 * that carries revocations carries these too.
 */
describe.each(Object.keys(topologies))('the verifier fleet on Redis %s', (name) => {
  let topology: Topology;
  let service: ServiceHandle;
  let verifiers: Verifier[];
  const keyPrefix = uniquePrefix();
  const keys = redisKeys(keyPrefix);

  beforeAll(async () => {
    topology = await (topologies[name] as () => Promise<Topology>)();
    service = await startService({ redisUrl: topology.url, keyPrefix });
    // Heartbeats far apart: a prompt wait=all can only come from acknowledgements.
    verifiers = ['web-1', 'web-2'].map((id) =>
      testVerifier({ redis: topology.url, keyPrefix, id, heartbeatInterval: 60, maxStaleness: 30 }),
    );
    await Promise.all(verifiers.map((v) => v.ready()));
  }, 90_000);
  afterAll(async () => {
    await Promise.all((verifiers ?? []).map((v) => v.close()));
    await service?.close();
    await topology?.stop();
  });

  it('lists every live verifier (GET /v1/verifiers)', async () => {
    const listed = async () => {
      const res = await service.admin('/v1/verifiers');
      expect(res.status).toBe(200);
      return (await res.json()) as { verifiers: Array<{ id: string; state: string }>; summary: { live: number } };
    };
    await waitFor(async () => (await listed()).summary.live === 2, 15_000, 50);
    expect((await listed()).verifiers.map((v) => [v.id, v.state])).toEqual([
      ['web-1', 'ready'],
      ['web-2', 'ready'],
    ]);
  });

  it("answers wait=all from the verifiers' acknowledgements", async () => {
    const res = await service.admin('/v1/revocations?wait=all&timeout=15s', {
      body: { type: 'token', jti: `wait-${name}`, exp: inAnHour() },
    });
    expect(res.status).toBe(201);
    const { propagation, offset } = (await res.json()) as { propagation: Propagation; offset: number };
    // Heartbeats are a minute apart, longer than the timeout: only acknowledgements can have answered.
    expect(propagation).toMatchObject({ applied: 2, total: 2, complete: true, pending: [] });
    console.log(`wait=all on ${name}: ${propagation.message}`);
    for (const v of verifiers) {
      expect(v.status.offset).toBeGreaterThanOrEqual(offset);
      expect(v.isRevoked({ jti: `wait-${name}` })).toBe(true);
    }
  });

  it('streams each change as it is made (GET /v1/changes/stream, what the console live view follows)', async () => {
    const res = await fetch(`${service.url}/v1/changes/stream`, {
      headers: { authorization: `Bearer ${ADMIN_SECRET}`, accept: 'text/event-stream' },
    });
    expect(res.status).toBe(200);
    const seen = readEvents(res, ({ event, data }) => event === 'change' && data.includes(`live-${name}`), 15_000);
    expect((await service.admin('/v1/revocations', { body: { type: 'session', sid: `live-${name}` } })).status).toBe(201);
    expect(await seen).toBe(true);
  });

  it("feeds the admin console's live view: the verifiers every second, and each change", async () => {
    const admin = new FormClient(`${service.url}/admin`);
    expect((await admin.post('/login', { key: ADMIN_SECRET })).status).toBe(303);
    const events = () => admin.request('/events', { headers: { accept: 'text/event-stream' } });
    const fleet = await events();
    expect(fleet.status).toBe(200);
    const listed = await readEvents(
      fleet,
      ({ event, data }) =>
        event === 'fleet' && (JSON.parse(data) as { verifiers: Array<{ id: string }> }).verifiers.map((v) => v.id).join() === 'web-1,web-2',
      15_000,
    );
    expect(listed).toBe(true);
    const changes = await events();
    const seen = readEvents(changes, ({ event, data }) => event === 'change' && data.includes(`console-${name}`), 15_000);
    expect((await service.admin('/v1/revocations', { body: { type: 'session', sid: `console-${name}` } })).status).toBe(201);
    expect(await seen).toBe(true);
  });

  it.runIf(name === 'cluster')('keeps every channel on the shard of the key prefix (sharded pub/sub)', async () => {
    const node = await topology.nodeOf(keys.meta);
    // The fleet's subscriber and both verifiers' subscribers, each with SSUBSCRIBE on the shard that owns the hash tag.
    expect(await command(node, 'PUBSUB', 'SHARDNUMSUB', keys.ackRequests, keys.acks)).toEqual([keys.ackRequests, 2, keys.acks, 1]);
    expect(await command(node, 'PUBSUB', 'NUMSUB', keys.ackRequests, keys.acks)).toEqual([keys.ackRequests, 0, keys.acks, 0]);
  });
});
