/**
 * Target 13.1: a verifier joining while 1,000,000 revocations are live, from
 * the compact snapshot the service writes, against one that reads every entry (ZSCAN, as every
 * verifier did before), in the same run and on the same Redis: time until
 * ready, and the Redis CPU time each join costs (`INFO cpu` before and
 * after, user + system). Joins alternate, three of each.
 *
 * Run alone: node --conditions=revocast-source --import tsx bench/snapshot-join.ts
 */
import { Redis } from 'ioredis';
import { createRevocationMirror } from '@revocast/verifier-sdk';
import { redisKeys } from '@revocast/verifier-sdk/protocol';
import { freePort, startRedisServer } from '../test/support/redis-server.js';
import { uuid } from './support/ids.js';
import { spawnTs, stop } from './support/processes.js';
import { BENCH_ADMIN_SECRET as ADMIN_SECRET } from './support/admin-key.js';
import { report, type Row } from './support/report.js';
import { median } from './support/stats.js';

const KEY_PREFIX = 'bench';
const BATCH = 10_000;
const LIVE = Number(process.env.LIVE ?? 1_000_000);
const ROUNDS = 3;

function batchBody(n: number): string {
  const now = Math.floor(Date.now() / 1000);
  const items: unknown[] = [];
  for (let i = 0; i < BATCH; i++) {
    const kind = (n * BATCH + i) % 100;
    if (kind === 0) items.push({ type: 'session', sid: uuid() });
    else if (kind === 1) items.push({ type: 'subject', sub: uuid() });
    else items.push({ type: 'token', jti: uuid(), exp: now + 600 + ((i * 7919) % 3000) });
  }
  return JSON.stringify({ items });
}

/** Redis's own CPU seconds so far (user + system, every thread). */
async function redisCpu(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 'NaN');
  return field('used_cpu_user') + field('used_cpu_sys');
}

async function usedMemory(redis: Redis): Promise<number> {
  return Number(/^used_memory:(\d+)/m.exec(await redis.info('memory'))?.[1] ?? 'NaN');
}

async function untilReady(url: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      if ((await fetch(url)).status === 200) return;
    } catch (err) {
      if (attempt > 1200) throw err;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function joinOnce(url: string, scan: boolean, redis: Redis): Promise<{ readyMs: number; cpuMs: number; entries: number }> {
  const before = await redisCpu(redis);
  const joiner = spawnTs('bench/support/join-verifier.ts', { REDIS_URL: url, KEY_PREFIX, SCAN: scan ? '1' : '0' }, true);
  try {
    const reply = await new Promise<{ readyMs: number; entries: Record<string, number> }>((resolve, reject) => {
      joiner.once('message', (message: { readyMs: number; entries: Record<string, number> }) => resolve(message));
      joiner.once('exit', (code) => reject(new Error(`joining verifier exited with ${code}`)));
    });
    const cpuMs = ((await redisCpu(redis)) - before) * 1000;
    return { readyMs: reply.readyMs, cpuMs, entries: Object.values(reply.entries).reduce((a, b) => a + b, 0) };
  } finally {
    joiner.send({ stop: true });
    await stop(joiner);
  }
}

async function main(): Promise<void> {
  const server = await startRedisServer();
  const port = await freePort();
  const service = spawnTs('revocation-service/src/main.ts', {
    REDIS_URL: server.url,
    PORT: String(port),
    REVOCAST_KEY_PREFIX: KEY_PREFIX,
    REVOCAST_ADMIN_KEYS: `bench:${ADMIN_SECRET}`,
    LOG_LEVEL: 'warn',
  });
  const redis = new Redis(server.url);
  try {
    await untilReady(`http://127.0.0.1:${port}/readyz`);
    const memoryBefore = await usedMemory(redis);
    const loadStarted = performance.now();
    for (let n = 0; n < LIVE / BATCH; n++) {
      const res = await fetch(`http://127.0.0.1:${port}/v1/revocations/batch`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_SECRET}`, 'content-type': 'application/json' },
        body: batchBody(n),
      });
      if (res.status !== 201) throw new Error(`batch: HTTP ${res.status} ${await res.text()}`);
    }
    console.log(`loaded ${LIVE.toLocaleString('en-US')} revocations in ${((performance.now() - loadStarted) / 1000).toFixed(1)} s`);
    const redisBytesPerEntry = ((await usedMemory(redis)) - memoryBefore) / LIVE;
    console.log(`Redis memory per live entry (entries, cutoffs, details, stream, index): ${redisBytesPerEntry.toFixed(0)} B`);

    // The service writes the snapshot by itself (every 10,000 changes, and a minute after the last change at the latest).
    const keys = redisKeys(KEY_PREFIX);
    const head = Number(await redis.hget(keys.meta, 'offset'));
    const waitStarted = performance.now();
    while (Number(await redis.hget(keys.snapshot, 'offset')) !== head) {
      if (performance.now() - waitStarted > 180_000) throw new Error('the service wrote no snapshot of the head within 3 minutes');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const manifest = await redis.hgetall(keys.snapshot);
    console.log(`the service's snapshot: ${manifest.chunks} chunks, ${(Number(manifest.bytes) / 2 ** 20).toFixed(1)} MiB (${(Number(manifest.bytes) / LIVE).toFixed(1)} B an entry), at offset ${manifest.offset}`);

    // What the service's mirror of the list costs it: the heap of a mirror in this process, before and after it loads.
    globalThis.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const mirror = createRevocationMirror({ redis: server.url, keyPrefix: KEY_PREFIX, commandTimeout: 30 });
    await mirror.ready();
    globalThis.gc?.();
    const mirrorBytesPerEntry = (process.memoryUsage().heapUsed - heapBefore) / LIVE;
    await mirror.close();
    console.log(`the service's mirror: ${mirrorBytesPerEntry.toFixed(0)} B of heap an entry`);

    const scans: Array<Awaited<ReturnType<typeof joinOnce>>> = [];
    const snapshots: Array<Awaited<ReturnType<typeof joinOnce>>> = [];
    for (let round = 0; round < ROUNDS; round++) {
      scans.push(await joinOnce(server.url, true, redis));
      snapshots.push(await joinOnce(server.url, false, redis));
      const [scan, snap] = [scans.at(-1)!, snapshots.at(-1)!];
      console.log(`round ${round + 1}: scan ${scan.readyMs.toFixed(0)} ms (Redis CPU ${scan.cpuMs.toFixed(0)} ms), snapshot ${snap.readyMs.toFixed(0)} ms (Redis CPU ${snap.cpuMs.toFixed(0)} ms), ${snap.entries} entries`);
      if (snap.entries !== scan.entries) throw new Error(`the snapshot join holds ${snap.entries} entries, the scan ${scan.entries}`);
    }
    const ready = { snapshot: median(snapshots.map((s) => s.readyMs)), scan: median(scans.map((s) => s.readyMs)) };
    const cpu = { snapshot: median(snapshots.map((s) => s.cpuMs)), scan: median(scans.map((s) => s.cpuMs)) };
    const rows: Row[] = [
      {
        target: 13.1,
        metric: `join with ${LIVE.toLocaleString('en-US')} live entries until ready, from the compact snapshot`,
        unit: 'ms',
        ours: ready.snapshot,
        baselineName: 'the same join reading every entry (ZSCAN)',
        baseline: ready.scan,
        goal: 'ours <= 1,000 ms',
        met: ready.snapshot <= 1000,
      },
      {
        target: 13.1,
        metric: 'Redis CPU time per join, from the compact snapshot',
        unit: 'ms',
        ours: cpu.snapshot,
        baselineName: 'per join reading every entry (ZSCAN)',
        baseline: cpu.scan,
        goal: '<= 1/10 of the scan',
        met: cpu.snapshot <= cpu.scan / 10,
      },
    ];
    report('snapshot-join', 'Target 13.1: joining with a million live revocations from the compact snapshot', rows, {
      snapshot: { chunks: Number(manifest.chunks), bytes: Number(manifest.bytes) },
      redisBytesPerEntry,
      mirrorBytesPerEntry,
      scans,
      snapshots,
    });
  } finally {
    redis.disconnect();
    await stop(service);
    await server.stop();
  }
}

await main();
