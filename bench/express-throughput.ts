/**
 * Target 4: requests per second of a hello-world Express route with no
 * auth, with requireAuth, and with express-jwt plus a Redis GET deny-list
 * lookup per request, measured with autocannon in the same run. The server
 * runs in its own process; clients resend the same token, as browsers and
 * API clients do.
 *
 * Run alone: node --conditions=revocast-source --import tsx bench/express-throughput.ts
 */
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { SignJWT } from 'jose';
import { MemoryStore, RedisStore } from '@revocast/revocation-service';
import { createVerifier, requireAuth } from '@revocast/verifier-sdk';
import { startRedisServer } from '../test/support/redis-server.js';
import { uuid } from './support/ids.js';
import { spawnTs, stop, waitForLine } from './support/processes.js';
import { report, saveChart, type Row } from './support/report.js';
import { median } from './support/stats.js';
import { barChart } from './support/svg.js';

const SECRET = 'benchmark-secret-of-at-least-32-bytes!';
const KEY_PREFIX = 'bench';
const ROUNDS = 8;
const SECONDS = 3;
const CONNECTIONS = 32;
const ROUTES = [
  ['/none', 'no auth'],
  ['/revocast', 'requireAuth'],
  ['/express-jwt', 'express-jwt + Redis GET'],
] as const;

/** Some live revocations and deny-list keys, so both lookups search real data. */
async function seed(redisUrl: string): Promise<void> {
  const store = new RedisStore({ redis: redisUrl, keyPrefix: KEY_PREFIX, maxTokenTtlMs: 3_600_000, retentionGraceMs: 60_000 });
  await store.ready();
  const now = Date.now();
  const plans = Array.from({ length: 10_000 }, () => {
    const id = uuid();
    const entry = { type: 'token' as const, id, pruneAt: now + 3_600_000 };
    return { record: { ...entry, revokedBy: 'bench', revokedAt: now }, entry, rank: entry.pruneAt };
  });
  await store.revokeBatch(plans, { actor: 'bench', now });
  await store.close();
  const redis = new Redis(redisUrl);
  const pipeline = redis.pipeline();
  for (const { entry } of plans) pipeline.set(`deny:${entry.id}`, '1', 'EX', 3600);
  await pipeline.exec();
  redis.disconnect();
}

/**
 * What requireAuth itself costs per request, in process and without a
 * network: the same token every time, as in the HTTP rounds. On a shared
 * 2-core machine the HTTP figures swing by tens of percent between rounds;
 * this one does not.
 */
async function middlewareCostNs(token: string): Promise<number> {
  const store = new MemoryStore({ maxTokenTtlMs: 3_600_000, retentionGraceMs: 60_000 });
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  const verifier = createVerifier({ source: store.feed(), key: SECRET, algorithms: ['HS256'], logger: quiet });
  await verifier.ready();
  const middleware = requireAuth(verifier);
  const req = { headers: { authorization: `Bearer ${token}` } } as Parameters<typeof middleware>[0];
  const res = {} as Parameters<typeof middleware>[1];
  const samples: number[] = [];
  for (let round = 0; round < 7; round++) {
    const n = 100_000;
    const started = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      await new Promise<void>((resolve, reject) =>
        middleware(req, res, (err?: unknown) => (err === undefined ? resolve() : reject(err as Error))),
      );
    }
    const middle = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await new Promise<void>((resolve) => resolve());
    const ended = process.hrtime.bigint();
    samples.push(Number(middle - started - (ended - middle)) / n);
  }
  await verifier.close();
  return median(samples);
}

async function main(): Promise<void> {
  const redis = await startRedisServer();
  const server = spawnTs('bench/support/express-server.ts', { REDIS_URL: redis.url, KEY_PREFIX, JWT_SECRET: SECRET });
  try {
    await seed(redis.url);
    const port = Number((await waitForLine(server, /^port (\d+)$/))[1]);
    const token = await new SignJWT({ jti: uuid(), sub: 'user-1', sid: 'session-1' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(SECRET));
    const headers = { authorization: `Bearer ${token}` };
    const rps: Record<string, number[]> = Object.fromEntries(ROUTES.map(([path]) => [path, []]));
    const cpuNsPerRequest: number[] = [];
    const serverCpuUs = async () => Number(await (await fetch(`http://127.0.0.1:${port}/cpu`)).text());
    for (const [path] of ROUTES)
      await autocannon({ url: `http://127.0.0.1:${port}${path}`, connections: CONNECTIONS, duration: 2, headers });
    // Rounds interleave the routes, in alternating order, so drift in the machine's load hits all three alike.
    for (let round = 0; round < ROUNDS; round++) {
      for (const [path, name] of round % 2 === 0 ? ROUTES : [...ROUTES].reverse()) {
        const cpuBefore = await serverCpuUs();
        const result = await autocannon({ url: `http://127.0.0.1:${port}${path}`, connections: CONNECTIONS, duration: SECONDS, headers });
        if (path === '/none') cpuNsPerRequest.push((((await serverCpuUs()) - cpuBefore) * 1000) / result.requests.total);
        if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
          throw new Error(`${path}: ${result.non2xx} non-2xx answers, ${result.errors} errors, ${result.timeouts} timeouts`);
        }
        rps[path]?.push(result.requests.average);
        console.log(`round ${round + 1} ${name}: ${Math.round(result.requests.average)} req/s, p99 ${result.latency.p99} ms`);
      }
    }
    const none = median(rps['/none'] as number[]);
    const ours = median(rps['/revocast'] as number[]);
    const expressJwt = median(rps['/express-jwt'] as number[]);
    const requestCpuNs = median(cpuNsPerRequest);
    const middlewareNs = await middlewareCostNs(token);
    console.log(
      `server CPU per no-auth request: ${Math.round(requestCpuNs)} ns; requireAuth in process: ${Math.round(middlewareNs)} ns per request`,
    );
    const rows: Row[] = [
      {
        target: 4,
        metric: 'requireAuth req/s vs no auth',
        unit: 'req/s',
        ours,
        baselineName: 'no auth',
        baseline: none,
        goal: '>= 90%',
        met: ours / none >= 0.9,
      },
      {
        target: 4,
        metric: 'requireAuth cost per request (in process) vs server CPU per no-auth request',
        unit: 'ns',
        ours: middlewareNs,
        baselineName: 'server CPU per hello-world request',
        baseline: requestCpuNs,
        goal: '<= 11% (keeps >= 90% of capacity)',
        met: middlewareNs / requestCpuNs <= 0.11,
      },
      {
        target: 4,
        metric: 'requireAuth req/s vs express-jwt + Redis GET',
        unit: 'req/s',
        ours,
        baselineName: 'express-jwt + Redis GET deny list',
        baseline: expressJwt,
        goal: '>= 3x',
        met: ours / expressJwt >= 3,
      },
    ];
    report('express-throughput', 'Target 4: Express throughput (autocannon)', rows, {
      rps,
      cpuNsPerRequest,
      middlewareNs,
      connections: CONNECTIONS,
      seconds: SECONDS,
      rounds: ROUNDS,
    });
    saveChart(
      'throughput.svg',
      barChart({
        title: `Hello-world Express route, ${CONNECTIONS} connections (median of ${ROUNDS} rounds)`,
        yLabel: 'requests per second',
        categories: ROUTES.map(([, name]) => name),
        series: [{ name: 'req/s', values: ROUTES.map(([path]) => median(rps[path] as number[])) }],
      }),
    );
  } finally {
    await stop(server);
    await redis.stop();
  }
}

await main();
