/**
 * Target 13.1: a verifier joining while 1,000,000 revocations are live, from
 * the compact snapshot, against one that reads every entry (ZSCAN, as every
 * verifier did before), in the same run and on the same Redis: time until
 * ready, and the Redis CPU time each join costs (`INFO cpu` before and
 * after, user + system). Joins alternate, three of each.
 *
 * Run alone: node --conditions=revocast-source --import tsx bench/snapshot-join.ts
 */
import { Redis } from 'ioredis';
import { createRevocationMirror } from '@revocast/verifier-sdk';
import { freePort, startRedisServer } from '../test/support/redis-server.js';
import { loadLiveList, serviceSnapshot, untilReady } from './support/live-list.js';
import { spawnTs, stop } from './support/processes.js';
import { BENCH_ADMIN_SECRET as ADMIN_SECRET } from './support/admin-key.js';
import { redisCpuSeconds } from './support/redis-cpu.js';
import { report, type Row } from './support/report.js';
import { median } from './support/stats.js';

const KEY_PREFIX = 'bench';
const LIVE = Number(process.env.LIVE ?? 1_000_000);
const ROUNDS = 3;

async function usedMemory(redis: Redis): Promise<number> {
  return Number(/^used_memory:(\d+)/m.exec(await redis.info('memory'))?.[1] ?? 'NaN');
}

async function joinOnce(url: string, scan: boolean, redis: Redis): Promise<{ readyMs: number; cpuMs: number; entries: number }> {
  const before = await redisCpuSeconds(redis);
  const joiner = spawnTs('bench/support/join-verifier.ts', { REDIS_URL: url, KEY_PREFIX, SCAN: scan ? '1' : '0' }, true);
  try {
    const reply = await new Promise<{ readyMs: number; entries: Record<string, number> }>((resolve, reject) => {
      joiner.once('message', (message: { readyMs: number; entries: Record<string, number> }) => resolve(message));
      joiner.once('exit', (code) => reject(new Error(`joining verifier exited with ${code}`)));
    });
    const cpuMs = ((await redisCpuSeconds(redis)) - before) * 1000;
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
    const loadS = await loadLiveList(`http://127.0.0.1:${port}`, ADMIN_SECRET, LIVE);
    console.log(`loaded ${LIVE.toLocaleString('en-US')} revocations in ${loadS.toFixed(1)} s`);
    const redisBytesPerEntry = ((await usedMemory(redis)) - memoryBefore) / LIVE;
    console.log(`Redis memory per live entry (entries, cutoffs, details, stream, index): ${redisBytesPerEntry.toFixed(0)} B`);
    const snapshot = await serviceSnapshot(redis, KEY_PREFIX);
    console.log(
      `snapshot ${snapshot.result} (waited ${snapshot.ms.toFixed(0)} ms): ${snapshot.chunks} chunks, ${(snapshot.bytes / 2 ** 20).toFixed(1)} MiB (${(snapshot.bytes / LIVE).toFixed(1)} B an entry)`,
    );

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
      console.log(
        `round ${round + 1}: scan ${scan.readyMs.toFixed(0)} ms (Redis CPU ${scan.cpuMs.toFixed(0)} ms), snapshot ${snap.readyMs.toFixed(0)} ms (Redis CPU ${snap.cpuMs.toFixed(0)} ms), ${snap.entries} entries`,
      );
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
      snapshot: { chunks: snapshot.chunks, bytes: snapshot.bytes },
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
