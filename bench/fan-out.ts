/**
 * Target 13.3: a fleet of 1,000 verifiers (4 processes x 250, each verifier
 * with its own connections) at 50 revocations a second, in four
 * configurations: the master alone or two replicas behind Sentinel (the
 * verifiers on `?role=replica`), each with coalesced delivery on and off.
 * Measured: propagation from the service's acknowledgement (the moment it
 * answered, which it reports) to each verifier applying the change (one
 * clock: process.hrtime on this machine), how many
 * messages each verifier received per revocation, and the Redis CPU time
 * (`INFO cpu`, user + system) per delivered message.
 *
 * Both services (coalescing on, off) run side by side on the same Redis and
 * key prefix, and phases alternate between them with the same random
 * arrival times, so each pair of phases meets the same load.
 *
 * Run alone: node --conditions=revocast-source --import tsx --expose-gc bench/fan-out.ts
 * PROCESSES, PER_PROCESS, PHASE_S and ROUNDS shrink or grow it.
 */
import type { ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { Redis } from 'ioredis';
import { redisKeys } from '@revocast/verifier-sdk/protocol';
import { startRedisServer } from '../test/support/redis-server.js';
import { startRedisSentinel } from '../test/support/redis-topologies.js';
import { BENCH_ADMIN_SECRET as ADMIN_SECRET } from './support/admin-key.js';
import { Fleet } from './support/fleet.js';
import { runPoissonLoad } from './support/poisson-load.js';
import { propagationDelays, revokeTimed, type Acknowledged } from './support/timed-revocations.js';
import { spawnTs, stop, waitForLine } from './support/processes.js';
import { redisCpuSeconds } from './support/redis-cpu.js';
import { report, type Row } from './support/report.js';
import { quantile, sortedCopy } from './support/stats.js';

const PROCESSES = Number(process.env.PROCESSES ?? 4);
const PER_PROCESS = Number(process.env.PER_PROCESS ?? 250);
const RATE = 50;
const PHASE_MS = Number(process.env.PHASE_S ?? 15) * 1000;
const ROUNDS = Number(process.env.ROUNDS ?? 2);
/** Revocations sent in the first seconds of a phase are not counted: connections and caches warm up. */
const WARMUP_MS = 2000;
const IDLE_MS = 10_000;
const KEY_PREFIX = 'bench';

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Mode = 'coalesced' | 'one by one';
const MODES: readonly Mode[] = ['one by one', 'coalesced'];

interface Topology {
  readonly name: 'master only' | 'two replicas';
  /** Where the service writes. */
  readonly writeUrl: string;
  /** Where the verifiers read and subscribe. */
  readonly readUrl: string;
  /** A connection to each data node, master first. */
  readonly nodes: readonly Redis[];
  stop(): Promise<void>;
}

async function masterOnly(): Promise<Topology> {
  const server = await startRedisServer({ args: ['--maxclients', '10000'] });
  const node = new Redis(server.url);
  return {
    name: 'master only',
    writeUrl: server.url,
    readUrl: server.url,
    nodes: [node],
    stop: async () => {
      node.disconnect();
      await server.stop();
    },
  };
}

async function twoReplicas(): Promise<Topology> {
  const sentinel = await startRedisSentinel({ replicas: 2, downAfterMs: 5000 });
  const master = await sentinel.master();
  const nodes = [master, ...sentinel.servers.filter((s) => s !== master)].map((s) => new Redis(s.url));
  for (const node of nodes) await node.config('SET', 'maxclients', '10000');
  return {
    name: 'two replicas',
    writeUrl: sentinel.url,
    readUrl: `${sentinel.url}?role=replica`,
    nodes,
    stop: async () => {
      for (const node of nodes) node.disconnect();
      await sentinel.stop();
    },
  };
}

interface PhaseResult {
  readonly topology: Topology['name'];
  readonly mode: Mode;
  readonly round: number;
  readonly revocations: number;
  readonly counted: number;
  readonly messages: number;
  readonly seconds: number;
  /** Redis CPU seconds per data node (master first) over the phase. */
  readonly cpu: number[];
  /** Per counted revocation: ms from the acknowledgement until the last verifier applied it (0 when all had it before). */
  readonly all: Float64Array;
  /** Per counted revocation and verifier: ms from the acknowledgement to applying it (negative: before the answer arrived). */
  readonly each: Float64Array;
  readonly missing: number;
  readonly swept: number;
  /** Calls answered 503 (the store did not answer in time), and the offsets in the phase left without an answer. */
  readonly refused: number;
  readonly unacknowledged: number;
  /** CPU the verifier processes used, from the end of the phase before. */
  readonly verifierCpuMs: number;
  readonly loadavg: number;
}

async function cpuOf(nodes: readonly Redis[]): Promise<number[]> {
  return Promise.all(nodes.map((node) => redisCpuSeconds(node)));
}

/** Counts the messages the channel carries, on the master. */
async function countMessages(url: string): Promise<{ count: () => number; close: () => void }> {
  const subscriber = new Redis(url);
  let count = 0;
  subscriber.on('message', () => count++);
  await subscriber.subscribe(redisKeys(KEY_PREFIX).channel);
  return { count: () => count, close: () => subscriber.disconnect() };
}

async function startService(writeUrl: string, mode: Mode): Promise<{ child: ChildProcess; port: number }> {
  const child = spawnTs('bench/support/bench-service.ts', {
    REDIS_URL: writeUrl,
    KEY_PREFIX,
    ADMIN_SECRET,
    COALESCE: mode === 'coalesced' ? '1' : '0',
  });
  const port = Number((await waitForLine(child, /"port":(\d+)/))[1]);
  return { child, port };
}

async function phase(
  topology: Topology,
  fleet: Fleet,
  counter: { count: () => number },
  port: number,
  mode: Mode,
  round: number,
): Promise<PhaseResult> {
  const first = Number((await topology.nodes[0]?.hget(redisKeys(KEY_PREFIX).meta, 'offset')) ?? 0) + 1;
  const exp = Math.floor(Date.now() / 1000) + 3600;
  const acks = new Map<number, Acknowledged>();
  const refused = { count: 0 };
  const cpuBefore = await cpuOf(topology.nodes);
  const messagesBefore = counter.count();
  const started = nowMs();
  const revocations = await runPoissonLoad({
    rate: RATE,
    durationMs: PHASE_MS,
    seed: 1000 + round,
    send: (n) => revokeTimed(`http://127.0.0.1:${port}`, ADMIN_SECRET, `${topology.name}-${mode}-${round}-${n}`, exp, acks, refused),
  });
  const last = Number((await topology.nodes[0]?.hget(redisKeys(KEY_PREFIX).meta, 'offset')) ?? 0);
  await fleet.reach(last, 60_000);
  const seconds = (nowMs() - started) / 1000;
  const cpuAfter = await cpuOf(topology.nodes);
  // Messages still on their way to the counter arrive with the last verifier's, which has applied them.
  const messages = counter.count() - messagesBefore;
  const { times, swept, cpuMs: verifierCpuMs } = await fleet.report(first, last);
  const { all, each, missing, unacknowledged } = propagationDelays(
    acks,
    times,
    first,
    last,
    fleet.size,
    (ack) => ack.sent - started >= WARMUP_MS,
  );
  return {
    topology: topology.name,
    mode,
    round,
    revocations,
    counted: all.length,
    messages,
    seconds,
    cpu: cpuAfter.map((after, i) => after - (cpuBefore[i] as number)),
    all,
    each,
    missing,
    swept,
    refused: refused.count,
    unacknowledged,
    verifierCpuMs,
    loadavg: loadavg()[0] as number,
  };
}

interface TopologyResult {
  readonly name: Topology['name'];
  /** Redis CPU seconds per second per data node with the fleet connected and nothing revoked. */
  readonly idleCpuPerS: number[];
  readonly phases: PhaseResult[];
}

async function runTopology(start: () => Promise<Topology>): Promise<TopologyResult> {
  const topology = await start();
  const services: Array<{ child: ChildProcess; port: number }> = [];
  let fleet: Fleet | undefined;
  let counter: { count: () => number; close: () => void } | undefined;
  try {
    for (const mode of MODES) services.push(await startService(topology.writeUrl, mode));
    const joining = performance.now();
    fleet = await Fleet.start({ processes: PROCESSES, perProcess: PER_PROCESS, redisUrl: topology.readUrl, keyPrefix: KEY_PREFIX });
    console.log(`${topology.name}: ${fleet.size} verifiers ready in ${((performance.now() - joining) / 1000).toFixed(1)} s`);
    const masterInfo = await topology.nodes[0]?.info('server');
    const masterPort = /^tcp_port:(\d+)/m.exec(masterInfo ?? '')?.[1];
    counter = await countMessages(`redis://127.0.0.1:${masterPort}`);
    await sleep(3000);
    const idleBefore = await cpuOf(topology.nodes);
    const idleStarted = nowMs();
    await sleep(IDLE_MS);
    const idleCpuPerS = (await cpuOf(topology.nodes)).map((cpu, i) => (cpu - (idleBefore[i] as number)) / ((nowMs() - idleStarted) / 1000));
    console.log(`${topology.name}: idle Redis CPU ${idleCpuPerS.map((c) => `${(c * 1000).toFixed(1)} ms/s`).join(', ')} (master first)`);
    const phases: PhaseResult[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, mode] of MODES.entries()) {
        const result = await phase(topology, fleet, counter, (services[i] as { port: number }).port, mode, round);
        phases.push(result);
        console.log(
          `${topology.name}, ${mode}, round ${round + 1}: ${result.revocations} revocations in ${result.messages} messages, ` +
            `all applied p50 ${quantile(result.all, 0.5).toFixed(2)} ms p99 ${quantile(result.all, 0.99).toFixed(2)} ms max ${quantile(result.all, 1).toFixed(1)} ms, ` +
            `each p50 ${quantile(result.each, 0.5).toFixed(2)} ms, Redis CPU ${result.cpu.map((c) => (c * 1000).toFixed(0)).join('+')} ms over ${result.seconds.toFixed(1)} s, ` +
            `verifier CPU ${(result.verifierCpuMs / 1000).toFixed(1)} s, missing ${result.missing}, swept ${result.swept}, refused ${result.refused} (${result.unacknowledged} offsets unanswered), load ${result.loadavg.toFixed(2)}`,
        );
        await sleep(1000);
      }
    }
    return { name: topology.name, idleCpuPerS, phases };
  } finally {
    counter?.close();
    await fleet?.stop();
    await Promise.all(services.map((s) => stop(s.child)));
    await topology.stop();
  }
}

/** The phases of one mode, merged. */
function merged(result: TopologyResult, mode: Mode) {
  const phases = result.phases.filter((p) => p.mode === mode);
  const all = sortedCopy(phases.flatMap((p) => Array.from(p.all)));
  const each = sortedCopy(phases.flatMap((p) => Array.from(p.each)));
  const revocations = phases.reduce((sum, p) => sum + p.revocations, 0);
  const messages = phases.reduce((sum, p) => sum + p.messages, 0);
  const seconds = phases.reduce((sum, p) => sum + p.seconds, 0);
  const cpu = result.idleCpuPerS.map((_, node) => phases.reduce((sum, p) => sum + (p.cpu[node] as number), 0));
  const idle = result.idleCpuPerS.map((perS) => perS * seconds);
  const receivers = PROCESSES * PER_PROCESS;
  const deliveries = messages * receivers;
  const total = cpu.reduce((a, b) => a + b, 0);
  const net = total - idle.reduce((a, b) => a + b, 0);
  return {
    revocations,
    messages,
    messagesPerRevocation: messages / revocations,
    p50: quantile(all, 0.5),
    p99: quantile(all, 0.99),
    max: quantile(all, 1),
    eachP50: quantile(each, 0.5),
    eachP99: quantile(each, 0.99),
    eachMin: quantile(each, 0),
    /** Redis CPU µs per delivered message, all data nodes, as measured. */
    cpuPerDeliveryUs: (total / deliveries) * 1e6,
    /** The same above the idle fleet's own cost (head reads, presence) over as long. */
    netCpuPerDeliveryUs: (net / deliveries) * 1e6,
    /** Redis CPU µs per revocation and verifier, all data nodes, as measured: what a change costs to fan out. */
    cpuPerRevocationUs: (total / (revocations * receivers)) * 1e6,
    /** The same above the idle fleet's own cost. */
    netCpuPerRevocationUs: (net / (revocations * receivers)) * 1e6,
    /** The master's CPU ms per revocation, as measured. */
    masterCpuPerRevocationMs: ((cpu[0] as number) / revocations) * 1000,
    cpuMsPerS: cpu.map((c) => (c / seconds) * 1000),
    missing: phases.reduce((sum, p) => sum + p.missing, 0),
    refused: phases.reduce((sum, p) => sum + p.refused, 0),
  };
}

async function main(): Promise<void> {
  const loadBefore = loadavg()[0] as number;
  const results: TopologyResult[] = [];
  results.push(await runTopology(masterOnly));
  results.push(await runTopology(twoReplicas));
  const loadAfter = loadavg()[0] as number;
  const figures = Object.fromEntries(
    results.map((r) => [r.name, Object.fromEntries(MODES.map((mode) => [mode, merged(r, mode)]))]),
  ) as Record<Topology['name'], Record<Mode, ReturnType<typeof merged>>>;
  for (const [name, modes] of Object.entries(figures)) {
    for (const [mode, f] of Object.entries(modes)) {
      if (f.missing > 0) throw new Error(`${name}, ${mode}: ${f.missing} applications missing`);
    }
  }
  const receivers = PROCESSES * PER_PROCESS;
  const rows: Row[] = [];
  for (const name of ['master only', 'two replicas'] as const) {
    const on = figures[name].coalesced;
    const off = figures[name]['one by one'];
    rows.push(
      {
        target: 13.3,
        metric: `${name}: messages each verifier receives per revocation, coalesced`,
        unit: '',
        ours: on.messagesPerRevocation,
        baselineName: 'one message per change',
        baseline: off.messagesPerRevocation,
        goal: '< 1 (fewer messages than changes)',
        met: on.messagesPerRevocation < 1,
      },
      {
        target: 13.3,
        metric: `${name}: propagation to all ${receivers} verifiers, p50, coalesced`,
        unit: 'ms',
        ours: on.p50,
        baselineName: 'one message per change, p50',
        baseline: off.p50,
        goal: '(context)',
        met: true,
      },
      {
        target: 13.3,
        metric: `${name}: propagation to all ${receivers} verifiers, p99, coalesced`,
        unit: 'ms',
        ours: on.p99,
        baselineName: 'one message per change, p99',
        baseline: off.p99,
        goal: '(context)',
        met: true,
      },
      {
        target: 13.3,
        metric: `${name}: Redis CPU per revocation and verifier (all data nodes, above the idle fleet), coalesced`,
        unit: 'µs',
        ours: on.netCpuPerRevocationUs,
        baselineName: 'one message per change',
        baseline: off.netCpuPerRevocationUs,
        goal: '(context)',
        met: true,
      },
      {
        target: 13.3,
        metric: `${name}: Redis CPU per delivered message (all data nodes), coalesced`,
        unit: 'µs',
        ours: on.cpuPerDeliveryUs,
        baselineName: 'one message per change',
        baseline: off.cpuPerDeliveryUs,
        goal: '(context)',
        met: true,
      },
    );
  }
  const master = figures['master only'].coalesced;
  const replicas = figures['two replicas'].coalesced;
  rows.push(
    {
      target: 13.3,
      metric: 'two replicas: propagation p99, coalesced',
      unit: 'ms',
      ours: replicas.p99,
      baselineName: 'master only, p99',
      baseline: master.p99,
      goal: '(context)',
      met: true,
    },
    {
      target: 13.3,
      metric: "two replicas: the master's CPU per revocation, coalesced",
      unit: 'ms',
      ours: replicas.masterCpuPerRevocationMs,
      baselineName: 'master only',
      baseline: master.masterCpuPerRevocationMs,
      goal: '(context)',
      met: true,
    },
  );
  report('fan-out', `Target 13.3: fan-out to ${receivers} verifiers at ${RATE} revocations/s`, rows, {
    processes: PROCESSES,
    perProcess: PER_PROCESS,
    rate: RATE,
    phaseMs: PHASE_MS,
    rounds: ROUNDS,
    loadavg: { before: loadBefore, after: loadAfter },
    figures,
    idleCpuPerS: Object.fromEntries(results.map((r) => [r.name, r.idleCpuPerS])),
    phases: results.flatMap((r) =>
      r.phases.map((p) => ({
        topology: p.topology,
        mode: p.mode,
        round: p.round,
        revocations: p.revocations,
        messages: p.messages,
        seconds: p.seconds,
        cpu: p.cpu,
        p50: quantile(p.all, 0.5),
        p99: quantile(p.all, 0.99),
        max: quantile(p.all, 1),
        eachP50: quantile(p.each, 0.5),
        swept: p.swept,
        refused: p.refused,
        unacknowledged: p.unacknowledged,
        verifierCpuMs: p.verifierCpuMs,
        loadavg: p.loadavg,
      })),
    ),
  });
}

await main();
