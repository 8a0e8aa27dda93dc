/**
 * Target 12.5: a realistic mix. 100,000 users, requests Zipf-distributed
 * over them (s = 1: a few users are busy, most are seen rarely), each
 * user's token re-issued every 15 minutes (at a phase of its own, valid for
 * an hour), 1,000 requests a second to one verifier over 40 simulated
 * minutes. The clock is simulated, the verification is real.
 *
 * First the hit rate of the verified-token cache is replayed for a sweep of
 * sizes (the cache class itself, on the same request sequence, counted after
 * 10 minutes of warm-up), then verifications per second are measured through
 * verify() over the first 5 simulated minutes for no cache, the former
 * default and the current default.
 *
 * Run alone: node --conditions=revocast-source --import tsx bench/mixed-workload.ts
 */
import { MemoryStore } from '@revocast/revocation-service';
import { createVerifier, type TokenCacheOptions } from '@revocast/verifier-sdk';
import { DEFAULT_TOKEN_CACHE, TokenCache, tokenCost } from '../verifier-sdk/src/verify/token-cache.js';
import { TokenDoorkeeper } from '../verifier-sdk/src/verify/token-doorkeeper.js';
import { report, saveChart, type Row } from './support/report.js';
import { benchKey, signToken } from './support/signed-tokens.js';
import { median } from './support/stats.js';
import { lineChart } from './support/svg.js';

const QUICK = process.env.BENCH_QUICK === '1';
const USERS = 100_000;
const ZIPF_S = 1;
const RATE = 1_000;
const SIMULATED_S = QUICK ? 20 * 60 : 40 * 60;
/** Hit rates count from here, once the cache has filled. */
const WARM_UP_S = 10 * 60;
/** Simulated seconds of traffic run through verify() for the rate. */
const THROUGHPUT_S = QUICK ? 60 : 5 * 60;
const REISSUE_S = 15 * 60;
const TOKEN_LIFETIME_S = 60 * 60;
const START_S = 1_900_000_000;
const FORMER_DEFAULT = { maxEntries: 10_000, maxBytes: 16 * 1024 * 1024 };
const SWEEP = [1_000, 5_000, 10_000, 25_000, 50_000, 100_000, 200_000];

/** A deterministic generator, so every run replays the same traffic (mulberry32). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Request {
  readonly token: string;
  /** Simulated epoch milliseconds. */
  readonly at: number;
}

/** The request sequence: user by Zipf rank, that user's current token. */
function traffic(): { requests: Request[]; distinctTokens: number } {
  const next = random(12);
  const cdf = new Float64Array(USERS);
  let sum = 0;
  for (let rank = 0; rank < USERS; rank++) cdf[rank] = sum += 1 / (rank + 1) ** ZIPF_S;
  for (let rank = 0; rank < USERS; rank++) cdf[rank] = (cdf[rank] as number) / sum;
  const phase = Float64Array.from({ length: USERS }, () => next() * REISSUE_S);
  const current = new Map<number, { window: number; token: string }>();
  const key = benchKey('HS256');
  const requests: Request[] = [];
  let distinctTokens = 0;
  const total = SIMULATED_S * RATE;
  for (let i = 0; i < total; i++) {
    const at = START_S + i / RATE;
    const u = next();
    let lo = 0;
    let hi = USERS - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((cdf[mid] as number) < u) lo = mid + 1;
      else hi = mid;
    }
    const window = Math.floor((at + (phase[lo] as number)) / REISSUE_S);
    let held = current.get(lo);
    if (held === undefined || held.window !== window) {
      const iat = Math.floor(window * REISSUE_S - (phase[lo] as number));
      held = { window, token: signToken(key, { sub: `user-${lo}`, iat, exp: iat + TOKEN_LIFETIME_S }) };
      current.set(lo, held);
      distinctTokens++;
    }
    requests.push({ token: held.token, at: at * 1000 });
  }
  return { requests, distinctTokens };
}

/**
 * The cache's hit rate after warm-up, replayed with the verifier's own cache
 * class, expiry check and doorkeeper (a token is cached on its second
 * sighting); `firstSighting` replays the former rule, caching every miss.
 */
function hitRate(
  requests: readonly Request[],
  bounds: Required<TokenCacheOptions>,
  warmUpS = WARM_UP_S,
  firstSighting = false,
): { hitRate: number; bytes: number; entries: number } {
  const cache = new TokenCache<null>(bounds.maxEntries, bounds.maxBytes);
  const doorkeeper = new TokenDoorkeeper(TokenDoorkeeper.slotsFor(bounds.maxEntries));
  const warmUntil = (START_S + warmUpS) * 1000;
  let hits = 0;
  let counted = 0;
  for (const { token, at } of requests) {
    const entry = cache.get(token);
    const hit = entry !== undefined && entry.exp > Math.floor(at / 1000) - 5;
    if (!hit && (firstSighting || doorkeeper.admit(token)))
      cache.set(token, null, JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString()).exp as number, at);
    if (at >= warmUntil) {
      counted++;
      if (hit) hits++;
    }
  }
  return { hitRate: hits / counted, bytes: cache.bytes, entries: cache.size };
}

async function verificationsPerSecond(requests: readonly Request[], tokenCache: false | TokenCacheOptions | undefined): Promise<number> {
  let now = requests[0]?.at ?? 0;
  const store = new MemoryStore({ maxTokenTtlMs: 3_600_000, retentionGraceMs: 60_000 });
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  const verifier = createVerifier({
    source: store.feed(),
    key: benchKey('HS256').verifyKey,
    algorithms: ['HS256'],
    logger: quiet,
    heartbeatInterval: 0,
    clock: () => now,
    maxStaleness: 1e9,
    ...(tokenCache === undefined ? {} : { tokenCache }),
  });
  await verifier.ready();
  const started = performance.now();
  for (const request of requests) {
    now = request.at;
    await verifier.verify(request.token);
  }
  const seconds = (performance.now() - started) / 1000;
  await verifier.close();
  return requests.length / seconds;
}

async function main(): Promise<void> {
  const { requests, distinctTokens } = traffic();
  const tokenChars = median(requests.slice(0, 1000).map(({ token }) => token.length));
  console.log(
    `${requests.length} requests over ${SIMULATED_S / 60} simulated minutes, ${distinctTokens} distinct tokens, ${tokenChars} characters each`,
  );
  const sweep = SWEEP.map((maxEntries) => {
    const bounds = { maxEntries, maxBytes: Number.MAX_SAFE_INTEGER };
    return { maxEntries, ...hitRate(requests, bounds), firstSightingHitRate: hitRate(requests, bounds, WARM_UP_S, true).hitRate };
  });
  for (const point of sweep) {
    console.log(
      `  cache of ${point.maxEntries} entries: hit rate ${(point.hitRate * 100).toFixed(1)}% ` +
        `(${(point.firstSightingHitRate * 100).toFixed(1)}% caching on first sighting), ~${(point.bytes / 2 ** 20).toFixed(1)} MiB`,
    );
  }
  const former = hitRate(requests, FORMER_DEFAULT);
  const current = hitRate(requests, currentDefault());
  // verify() runs through the first THROUGHPUT_S simulated seconds (cache warming up included);
  // the whole sequence would take tens of minutes on a loaded 2-core machine.
  const slice = requests.slice(0, THROUGHPUT_S * RATE);
  const sliceHits = { former: hitRate(slice, FORMER_DEFAULT, 0).hitRate, current: hitRate(slice, currentDefault(), 0).hitRate };
  const throughput: Record<string, number[]> = { none: [], former: [], current: [] };
  for (const [name, option] of [
    ['none', false],
    ['former', FORMER_DEFAULT],
    ['current', undefined],
  ] as const) {
    throughput[name]?.push(await verificationsPerSecond(slice, option));
  }
  const perSecond = (name: string) => median(throughput[name] as number[]);
  console.log(
    `verify() through the first ${THROUGHPUT_S / 60} simulated minutes: ${Math.round(perSecond('current'))}/s with the default cache (hit rate there ${(sliceHits.current * 100).toFixed(1)}%), ` +
      `${Math.round(perSecond('former'))}/s with the former default (${(sliceHits.former * 100).toFixed(1)}%), ${Math.round(perSecond('none'))}/s without a cache`,
  );
  const rows: Row[] = [
    {
      target: 12.5,
      metric: `mixed workload verify() rate, default cache ${DEFAULT_TOKEN_CACHE.maxEntries.toLocaleString('en-US')} entries / ${DEFAULT_TOKEN_CACHE.maxBytes / 2 ** 20} MiB (steady hit rate ${(current.hitRate * 100).toFixed(1)}%)`,
      unit: '/s',
      ours: perSecond('current'),
      baselineName: 'verify() without a cache',
      baseline: perSecond('none'),
      goal: '(reported)',
      met: true,
    },
    {
      target: 12.5,
      metric: `mixed workload verify() rate, former default 10,000 entries / 16 MiB (steady hit rate ${(former.hitRate * 100).toFixed(1)}%)`,
      unit: '/s',
      ours: perSecond('former'),
      baselineName: 'verify() without a cache',
      baseline: perSecond('none'),
      goal: '(reported)',
      met: true,
    },
  ];
  report('mixed-workload', 'Target 12.5: mixed workload, 100,000 users, Zipf, re-issue every 15 min', rows, {
    users: USERS,
    zipf: ZIPF_S,
    rate: RATE,
    simulatedSeconds: SIMULATED_S,
    distinctTokens,
    tokenChars,
    tokenCost: tokenCost('x'.repeat(tokenChars)),
    sweep,
    former,
    current: { ...current, bounds: currentDefault() },
    throughput,
    throughputSimulatedSeconds: THROUGHPUT_S,
    sliceHits,
  });
  saveChart(
    'mixed-workload.svg',
    lineChart({
      title: `Token cache hit rate, 100,000 users (Zipf s=${ZIPF_S}), ${RATE} req/s, tokens re-issued every 15 min`,
      xLabel: 'cache entries (log scale)',
      yLabel: 'hit rate (%)',
      xLog: true,
      yMin: 0,
      series: [
        { name: 'cached on second sighting', points: sweep.map((point) => [point.maxEntries, point.hitRate * 100] as const) },
        {
          name: 'cached on first sighting (former)',
          points: sweep.map((point) => [point.maxEntries, point.firstSightingHitRate * 100] as const),
        },
      ],
    }),
  );
}

/** The verifier's default bounds. */
function currentDefault(): Required<TokenCacheOptions> {
  return { ...DEFAULT_TOKEN_CACHE };
}

await main();
