/**
 * Target 12.3: requests per second of a hello-world Express route when
 * every request carries a token the server has never seen (100,000
 * pre-signed HS256 tokens sent in turn, so each comes back only after
 * 100,000 others, long evicted from the default token cache), behind no
 * auth (the same requests, the token ignored), requireAuth, express-jwt
 * plus a Redis GET deny-list lookup, and fast-jwt alone (no cache, no
 * revocation check: what any synchronous verifier costs here);
 * then the same with RS256 (fewer tokens: RSA signing is slow; still more
 * than the default cache holds). autocannon, server in its own process,
 * rounds interleaved.
 *
 * Run alone: node --conditions=revocast-source --import tsx bench/never-seen-express.ts
 */
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { startRedisServer } from '../test/support/redis-server.js';
import { spawnTs, stop, waitForLine } from './support/processes.js';
import { report, type Row } from './support/report.js';
import { BENCH_SECRET, benchKey, signTokens } from './support/signed-tokens.js';
import { median } from './support/stats.js';

const KEY_PREFIX = 'bench';
const QUICK = process.env.BENCH_QUICK === '1';
const ROUNDS = QUICK ? 1 : 6;
const SECONDS = 3;
const CONNECTIONS = 32;
const HS_TOKENS = 100_000;
const RS_TOKENS = QUICK ? 2_000 : 30_000;

/** Deny-list keys for express-jwt's lookup, so the GET searches real data. */
async function seed(redisUrl: string): Promise<void> {
  const redis = new Redis(redisUrl);
  const pipeline = redis.pipeline();
  for (let i = 0; i < 10_000; i++) pipeline.set(`deny:revoked-${i}`, '1', 'EX', 3600);
  await pipeline.exec();
  redis.disconnect();
}

async function rate(port: number, path: string, tokens: readonly string[] | undefined, cursor: { next: number }): Promise<number> {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}${path}`,
    connections: CONNECTIONS,
    duration: SECONDS,
    requests: [
      {
        setupRequest: (request) =>
          tokens === undefined
            ? request
            : { ...request, headers: { ...request.headers, authorization: `Bearer ${tokens[cursor.next++ % tokens.length]}` } },
      },
    ],
  });
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
    throw new Error(`${path}: ${result.non2xx} non-2xx answers, ${result.errors} errors, ${result.timeouts} timeouts`);
  }
  return result.requests.average;
}

async function main(): Promise<void> {
  const rsa = benchKey('RS256');
  console.log(`signing ${HS_TOKENS} HS256 and ${RS_TOKENS} RS256 tokens`);
  const hsTokens = signTokens(benchKey('HS256'), HS_TOKENS);
  const rsTokens = signTokens(rsa, RS_TOKENS);
  const redis = await startRedisServer();
  const server = spawnTs('bench/support/never-seen-server.ts', {
    REDIS_URL: redis.url,
    KEY_PREFIX,
    JWT_SECRET: BENCH_SECRET,
    RSA_PUBLIC_PEM: rsa.verifyText,
  });
  try {
    await seed(redis.url);
    const port = Number((await waitForLine(server, /^port (\d+)$/))[1]);
    const cursors = { hs: { next: 0 }, rs: { next: 0 } };
    // The baseline gets the same requests, Authorization header and all (as target 4's does), so the
    // ratio is what requireAuth costs the server, not what building a different request costs autocannon
    // on the same 2 cores. The route without a header is kept as context.
    const routes = [
      ['/none', 'no auth', hsTokens, cursors.hs],
      ['/none?bare', 'no auth, no Authorization header', undefined, cursors.hs],
      ['/revocast/hs256', 'requireAuth HS256', hsTokens, cursors.hs],
      ['/express-jwt/hs256', 'express-jwt + Redis GET HS256', hsTokens, cursors.hs],
      ['/fast-jwt/hs256', 'fast-jwt alone HS256', hsTokens, cursors.hs],
      ['/revocast/rs256', 'requireAuth RS256', rsTokens, cursors.rs],
      ['/express-jwt/rs256', 'express-jwt + Redis GET RS256', rsTokens, cursors.rs],
    ] as const;
    const rps: Record<string, number[]> = Object.fromEntries(routes.map(([path]) => [path, []]));
    // Warm-up with tokens the measured rounds then reach only after the whole list.
    for (const [path, , tokens, cursor] of routes) await rate(port, path, tokens, cursor);
    for (let round = 0; round < ROUNDS; round++) {
      for (const [path, name, tokens, cursor] of round % 2 === 0 ? routes : [...routes].reverse()) {
        const value = await rate(port, path, tokens, cursor);
        rps[path]?.push(value);
        console.log(`round ${round + 1} ${name}: ${Math.round(value)} req/s`);
      }
    }
    const m = (path: string) => median(rps[path] as number[]);
    const none = m('/none');
    const rows: Row[] = [
      {
        target: 12.3,
        metric: 'no auth, the same requests (each with its own token, ignored) vs no Authorization header',
        unit: 'req/s',
        ours: none,
        baselineName: 'no auth, no Authorization header',
        baseline: m('/none?bare'),
        goal: '(context)',
        met: true,
      },
      {
        target: 12.3,
        metric: 'requireAuth, a never-seen HS256 token per request, vs no auth',
        unit: 'req/s',
        ours: m('/revocast/hs256'),
        baselineName: 'no auth',
        baseline: none,
        goal: '>= 0.8x',
        met: m('/revocast/hs256') / none >= 0.8,
      },
      {
        target: 12.3,
        metric: 'requireAuth, a never-seen HS256 token per request, vs express-jwt + Redis GET',
        unit: 'req/s',
        ours: m('/revocast/hs256'),
        baselineName: 'express-jwt + Redis GET',
        baseline: m('/express-jwt/hs256'),
        goal: '>= 3x',
        met: m('/revocast/hs256') / m('/express-jwt/hs256') >= 3,
      },
      {
        target: 12.3,
        metric: 'requireAuth, a never-seen HS256 token per request, vs fast-jwt alone (no cache, no revocation check)',
        unit: 'req/s',
        ours: m('/revocast/hs256'),
        baselineName: 'fast-jwt alone',
        baseline: m('/fast-jwt/hs256'),
        goal: '(context)',
        met: true,
      },
      {
        target: 12.3,
        metric: 'fast-jwt alone (no cache, no revocation check), a never-seen HS256 token per request, vs no auth',
        unit: 'req/s',
        ours: m('/fast-jwt/hs256'),
        baselineName: 'no auth',
        baseline: none,
        goal: '(context: the ceiling of a synchronous verifier here)',
        met: true,
      },
      {
        target: 12.3,
        metric: 'requireAuth, a never-seen RS256 token per request, vs no auth',
        unit: 'req/s',
        ours: m('/revocast/rs256'),
        baselineName: 'no auth',
        baseline: none,
        goal: '(reported)',
        met: true,
      },
      {
        target: 12.3,
        metric: 'requireAuth, a never-seen RS256 token per request, vs express-jwt + Redis GET',
        unit: 'req/s',
        ours: m('/revocast/rs256'),
        baselineName: 'express-jwt + Redis GET',
        baseline: m('/express-jwt/rs256'),
        goal: '(reported)',
        met: true,
      },
    ];
    report('never-seen-express', 'Target 12.3: Express, a never-seen token every request (autocannon)', rows, {
      rps,
      connections: CONNECTIONS,
      seconds: SECONDS,
      rounds: ROUNDS,
      hsTokens: HS_TOKENS,
      rsTokens: RS_TOKENS,
    });
  } finally {
    await stop(server);
    await redis.stop();
  }
}

await main();
