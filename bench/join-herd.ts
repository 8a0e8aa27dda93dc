/**
 * Target 13.2: 100 verifiers joining at once (4 processes x 25) while
 * 1,000,000 revocations are live and 100 more a second are made: the
 * propagation to the verifiers already running (20, in 2 processes) during
 * the herd, against the same live load without a herd, measured before it
 * in the same run. Joins read the compact snapshot, which the benchmark
 * writes (the service does not yet), then the stream from where it stands.
 *
 * On this 2-core machine the joining processes compete for the CPU with the
 * service, Redis and the running verifiers, which in a fleet sit on other
 * hosts; the herd therefore runs twice: once at the lowest priority
 * (`nice 19`: what the herd costs Redis and the service, the part a fleet
 * shares), once at normal priority (that plus the CPU taken from everything
 * else on the box).
 *
 * Run alone: node --conditions=revocast-source --import tsx --expose-gc bench/join-herd.ts
 * LIVE, HERD_PROCESSES, PER_HERD_PROCESS and BASELINE_S shrink or grow it.
 */
import { loadavg } from 'node:os';
import { Redis } from 'ioredis';
import { redisKeys } from '@revocast/verifier-sdk/protocol';
import { startRedisServer } from '../test/support/redis-server.js';
import { BENCH_ADMIN_SECRET as ADMIN_SECRET } from './support/admin-key.js';
import { Fleet } from './support/fleet.js';
import { loadLiveList, writeSnapshot } from './support/live-list.js';
import { runPoissonLoad } from './support/poisson-load.js';
import { spawnTs, stop, waitForLine } from './support/processes.js';
import { redisCpuSeconds } from './support/redis-cpu.js';
import { report, type Row } from './support/report.js';
import { quantile } from './support/stats.js';
import { propagationDelays, revokeTimed, type Acknowledged, type Delays } from './support/timed-revocations.js';

const KEY_PREFIX = 'bench';
const LIVE = Number(process.env.LIVE ?? 1_000_000);
const RATE = 100;
const LIVE_PROCESSES = 2;
const PER_LIVE_PROCESS = 10;
const HERD_PROCESSES = Number(process.env.HERD_PROCESSES ?? 4);
const PER_HERD_PROCESS = Number(process.env.PER_HERD_PROCESS ?? 25);
const HERD = HERD_PROCESSES * PER_HERD_PROCESS;
const BASELINE_MS = Number(process.env.BASELINE_S ?? 20) * 1000;
/** The longest a herd may take to join before the run is called off. */
const HERD_LIMIT_MS = 600_000;

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

/** Calls and microseconds per command so far (`INFO commandstats`). */
async function commandStats(redis: Redis): Promise<Map<string, { calls: number; usec: number }>> {
  const stats = new Map<string, { calls: number; usec: number }>();
  for (const match of (await redis.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) {
    stats.set(match[1] as string, { calls: Number(match[2]), usec: Number(match[3]) });
  }
  return stats;
}

interface Window {
  readonly name: string;
  readonly revocations: number;
  readonly seconds: number;
  readonly delays: Delays;
  /** Redis CPU ms per second over the window. */
  readonly redisCpuMsPerS: number;
  readonly loadavg: [number, number];
  /** Calls answered 503 (not counted). */
  readonly refused: number;
  /** Redis's time per command over the window (INFO commandstats), the five that took most. */
  readonly commands: Array<{ command: string; calls: number; ms: number }>;
  /** Herds only: ms from starting the processes until every joiner was ready. */
  readonly joinMs?: number;
}

async function main(): Promise<void> {
  const server = await startRedisServer();
  const redis = new Redis(server.url);
  const service = spawnTs('bench/support/bench-service.ts', { REDIS_URL: server.url, KEY_PREFIX, ADMIN_SECRET, COALESCE: '1' });
  let live: Fleet | undefined;
  try {
    const baseUrl = `http://127.0.0.1:${(await waitForLine(service, /"port":(\d+)/))[1]}`;
    const loadS = await loadLiveList(baseUrl, ADMIN_SECRET, LIVE);
    console.log(`loaded ${LIVE.toLocaleString('en-US')} revocations in ${loadS.toFixed(1)} s`);
    const firstSnapshot = await writeSnapshot(server.url, redis, KEY_PREFIX);
    console.log(`snapshot ${firstSnapshot.result} in ${firstSnapshot.ms.toFixed(0)} ms, for the running verifiers to join from`);
    const joining = performance.now();
    live = await Fleet.start({ processes: LIVE_PROCESSES, perProcess: PER_LIVE_PROCESS, redisUrl: server.url, keyPrefix: KEY_PREFIX });
    console.log(`${live.size} running verifiers ready in ${((performance.now() - joining) / 1000).toFixed(1)} s`);
    const fleet = live;
    let seed = 1;
    const exp = () => Math.floor(Date.now() / 1000) + 3600;

    /** Runs the live load until `done` (or for `ms`), and measures the propagation to the running verifiers meanwhile. */
    async function window(name: string, ms: number, during?: () => { done: () => boolean; finished: Promise<number> }): Promise<Window> {
      const first = Number((await redis.hget(redisKeys(KEY_PREFIX).meta, 'offset')) ?? 0) + 1;
      const acks = new Map<number, Acknowledged>();
      const refused = { count: 0 };
      const loadBefore = loadavg()[0] as number;
      const cpuBefore = await redisCpuSeconds(redis);
      const statsBefore = await commandStats(redis);
      const started = nowMs();
      const joiners = during?.();
      const revocations = await runPoissonLoad({
        rate: RATE,
        durationMs: ms,
        seed: seed++,
        ...(joiners === undefined ? {} : { until: joiners.done }),
        send: (n) => revokeTimed(baseUrl, ADMIN_SECRET, `herd-${name}-${n}`, exp(), acks, refused),
      });
      const ended = nowMs();
      const joinMs = joiners === undefined ? undefined : await joiners.finished;
      const cpuMsPerS = (((await redisCpuSeconds(redis)) - cpuBefore) * 1000) / ((ended - started) / 1000);
      const statsAfter = await commandStats(redis);
      const commands = [...statsAfter]
        .map(([command, after]) => ({
          command,
          calls: after.calls - (statsBefore.get(command)?.calls ?? 0),
          ms: (after.usec - (statsBefore.get(command)?.usec ?? 0)) / 1000,
        }))
        .sort((a, b) => b.ms - a.ms)
        .slice(0, 5);
      const last = Number((await redis.hget(redisKeys(KEY_PREFIX).meta, 'offset')) ?? 0);
      await fleet.reach(last, 60_000);
      const { times } = await fleet.report(first, last);
      const delays = propagationDelays(acks, times, first, last, fleet.size, () => true);
      const result: Window = {
        name,
        revocations,
        seconds: (ended - started) / 1000,
        delays,
        redisCpuMsPerS: cpuMsPerS,
        refused: refused.count,
        commands,
        loadavg: [loadBefore, loadavg()[0] as number],
        ...(joinMs === undefined ? {} : { joinMs }),
      };
      console.log(
        `${name}: ${revocations} revocations in ${result.seconds.toFixed(1)} s, to all ${fleet.size} running verifiers p50 ${quantile(delays.all, 0.5).toFixed(2)} ms ` +
          `p99 ${quantile(delays.all, 0.99).toFixed(2)} ms max ${quantile(delays.all, 1).toFixed(1)} ms, Redis CPU ${cpuMsPerS.toFixed(0)} ms/s` +
          `${joinMs === undefined ? '' : `, ${HERD} joined in ${(joinMs / 1000).toFixed(1)} s`}, load ${result.loadavg[0].toFixed(2)} -> ${result.loadavg[1].toFixed(2)}, refused ${result.refused}; ` +
          `Redis time by command: ${commands.map((c) => `${c.command} ${c.ms.toFixed(0)} ms in ${c.calls}`).join(', ')}`,
      );
      if (delays.missing > 0) throw new Error(`${name}: ${delays.missing} applications missing`);
      return result;
    }

    /** HERD verifiers start joining now, from a fresh compact snapshot; `done` once every one is ready. */
    function herd(nice: number): () => { done: () => boolean; finished: Promise<number> } {
      return () => {
        const started = performance.now();
        let joined = false;
        let herdFleet: Fleet | undefined;
        const finished = Fleet.start({
          processes: HERD_PROCESSES,
          perProcess: PER_HERD_PROCESS,
          redisUrl: server.url,
          keyPrefix: KEY_PREFIX,
          nice,
        }).then(async (f) => {
          herdFleet = f;
          joined = true;
          const ms = performance.now() - started;
          await herdFleet.stop();
          return ms;
        });
        // Never leave the load running on a herd that failed: `done` turns true either way.
        finished.catch(() => (joined = true));
        return { done: () => joined, finished };
      };
    }

    const windows: Window[] = [];
    const snapshots = [];
    // Not counted: the running verifiers settle after loading a million entries (their first collections).
    await window('warm-up', 5000);
    windows.push(await window('no herd, before', BASELINE_MS));
    for (const [name, nice] of [
      ['herd at nice 19', 19],
      ['herd at normal priority', 0],
    ] as const) {
      const snapshot = await writeSnapshot(server.url, redis, KEY_PREFIX);
      snapshots.push(snapshot);
      console.log(
        `snapshot ${snapshot.result} in ${snapshot.ms.toFixed(0)} ms: ${snapshot.chunks} chunks, ${(snapshot.bytes / 2 ** 20).toFixed(1)} MiB`,
      );
      windows.push(await window(name, HERD_LIMIT_MS, herd(nice)));
      windows.push(await window(`no herd, after the ${name}`, BASELINE_MS));
    }

    const [before, niced, afterNiced, plain, afterPlain] = windows as [Window, Window, Window, Window, Window];
    const p99 = (w: Window) => quantile(w.delays.all, 0.99);
    const p50 = (w: Window) => quantile(w.delays.all, 0.5);
    const rows: Row[] = [
      {
        target: 13.2,
        metric: `live propagation p99 to ${fleet.size} running verifiers while ${HERD} join (nice 19), ${LIVE.toLocaleString('en-US')} live entries`,
        unit: 'ms',
        ours: p99(niced),
        baselineName: 'the same load without a herd, p99',
        baseline: p99(before),
        goal: '<= 2x',
        met: p99(niced) <= 2 * p99(before),
      },
      {
        target: 13.2,
        metric: `live propagation p99 while ${HERD} join at normal priority (sharing the 2 cores)`,
        unit: 'ms',
        ours: p99(plain),
        baselineName: 'the same load without a herd, p99',
        baseline: p99(before),
        goal: '<= 2x',
        met: p99(plain) <= 2 * p99(before),
      },
      {
        target: 13.2,
        metric: `live propagation p50 while ${HERD} join (nice 19)`,
        unit: 'ms',
        ours: p50(niced),
        baselineName: 'without a herd, p50',
        baseline: p50(before),
        goal: '(context)',
        met: true,
      },
      {
        target: 13.2,
        metric: `Redis CPU while ${HERD} join (nice 19)`,
        unit: 'ms/s',
        ours: niced.redisCpuMsPerS,
        baselineName: 'without a herd',
        baseline: before.redisCpuMsPerS,
        goal: '(context)',
        met: true,
      },
    ];
    report(
      'join-herd',
      `Target 13.2: ${HERD} verifiers joining at once with ${LIVE.toLocaleString('en-US')} live entries, ${RATE} revocations/s`,
      rows,
      {
        live: LIVE,
        rate: RATE,
        running: fleet.size,
        herd: HERD,
        loadSeconds: loadS,
        snapshots,
        afterP99: { niced: p99(afterNiced), plain: p99(afterPlain) },
        windows: windows.map((w) => ({
          name: w.name,
          revocations: w.revocations,
          seconds: w.seconds,
          p50: quantile(w.delays.all, 0.5),
          p90: quantile(w.delays.all, 0.9),
          p99: quantile(w.delays.all, 0.99),
          max: quantile(w.delays.all, 1),
          eachP50: quantile(w.delays.each, 0.5),
          eachP99: quantile(w.delays.each, 0.99),
          redisCpuMsPerS: w.redisCpuMsPerS,
          refused: w.refused,
          commands: w.commands,
          loadavg: w.loadavg,
          ...(w.joinMs === undefined ? {} : { joinMs: w.joinMs }),
        })),
      },
    );
  } finally {
    await live?.stop();
    await stop(service);
    redis.disconnect();
    await server.stop();
  }
}

await main();
