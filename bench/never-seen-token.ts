/**
 * Targets 12.1 and 12.2: verify() on tokens it has never seen (every call a
 * cache miss), per call and with 64 verifications in flight, for HS256,
 * RS256, ES256 and EdDSA, against fast-jwt without its cache, jose.jwtVerify
 * and @node-rs/jsonwebtoken (Rust) when it loads, all on the same tokens in
 * the same run. Rounds interleave the libraries so load drift hits all alike.
 *
 * Run alone: node --conditions=revocast-source --import tsx bench/never-seen-token.ts
 */
import { createPublicKey } from 'node:crypto';
import { createVerifier as createFastJwtVerifier } from 'fast-jwt';
import { jwtVerify } from 'jose';
import { MemoryStore } from '@revocast/revocation-service';
import { createVerifier, type Verifier } from '@revocast/verifier-sdk';
import { report, saveChart, type Row } from './support/report.js';
import { BENCH_ALGORITHMS, benchKey, signTokens, type BenchAlgorithm, type BenchKey } from './support/signed-tokens.js';
import { NS_PER_MS, median } from './support/stats.js';
import { barChart } from './support/svg.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
/** BENCH_QUICK=1 for a fast smoke run while editing; the figures then mean little. */
const QUICK = process.env.BENCH_QUICK === '1';
const ROUNDS = QUICK ? 1 : 5;
/** Calls per round and library; RSA signing is slow, so fewer RS256 tokens are made. */
const CALLS: Record<BenchAlgorithm, number> = QUICK
  ? { HS256: 2_000, RS256: 300, ES256: 600, EdDSA: 600 }
  : { HS256: 20_000, RS256: 3_000, ES256: 6_000, EdDSA: 6_000 };
const IN_FLIGHT = 64;

type Verify = (token: string) => unknown;

interface Contender {
  readonly name: string;
  /** A verifier that has seen none of the tokens, made fresh for each round. */
  readonly make: () => Promise<{ verify: Verify; close?: () => Promise<void> }>;
}

/** The part of @node-rs/jsonwebtoken the benchmark calls. */
interface NodeRsJwt {
  verifySync(token: string, key: string, options: { algorithms: string[]; leeway: number }): unknown;
}

/**
 * @node-rs/jsonwebtoken is not a dependency: its lock entries name
 * platform packages that not every registry mirror serves, which makes
 * `npm ci` refuse the lock file. Install it by hand to compare with it:
 * `npm install --no-save @node-rs/jsonwebtoken`.
 */
async function nodeRs(): Promise<NodeRsJwt | undefined> {
  const name = '@node-rs/jsonwebtoken';
  try {
    return (await import(name)) as NodeRsJwt;
  } catch (err) {
    console.log(`${name} is not installed, so it is left out (npm install --no-save ${name} to include it): ${(err as Error).message}`);
    return undefined;
  }
}

function contenders(key: BenchKey, rs: Awaited<ReturnType<typeof nodeRs>>): Contender[] {
  const store = new MemoryStore({ maxTokenTtlMs: 3_600_000, retentionGraceMs: 60_000 });
  const joseKey = typeof key.verifyKey === 'string' ? new TextEncoder().encode(key.verifyKey) : key.verifyKey;
  const joseOptions = { algorithms: [key.alg], requiredClaims: ['exp', 'jti'], clockTolerance: 5 };
  const list: Contender[] = [
    {
      name: 'Revocast verify()',
      make: async () => {
        const verifier: Verifier = createVerifier({
          source: store.feed(),
          key: key.verifyKey,
          algorithms: [key.alg],
          logger: quiet,
          heartbeatInterval: 0,
        });
        await verifier.ready();
        return { verify: (token) => verifier.verify(token), close: () => verifier.close() };
      },
    },
    {
      name: 'fast-jwt (no cache)',
      make: async () => {
        const verify = createFastJwtVerifier({
          key: key.verifyText,
          algorithms: [key.alg],
          cache: false,
          clockTolerance: 5000,
          requiredClaims: ['exp', 'jti'],
        });
        return { verify };
      },
    },
    { name: 'jose.jwtVerify', make: async () => ({ verify: (token) => jwtVerify(token, joseKey, joseOptions) }) },
  ];
  if (rs !== undefined) {
    const rsKey =
      typeof key.verifyKey === 'string'
        ? key.verifyKey
        : createPublicKey(key.verifyText).export({ type: 'spki', format: 'pem' }).toString();
    list.push({
      name: '@node-rs/jsonwebtoken verifySync',
      make: async () => ({ verify: (token) => rs.verifySync(token, rsKey, { algorithms: [key.alg], leeway: 5 }) }),
    });
  }
  return list;
}

async function perCallNs(verify: Verify, tokens: readonly string[]): Promise<number> {
  const started = performance.now();
  for (const token of tokens) await verify(token);
  return ((performance.now() - started) * NS_PER_MS) / tokens.length;
}

async function inFlightPerSecond(verify: Verify, tokens: readonly string[]): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < tokens.length) await verify(tokens[next++] as string);
    }),
  );
  return tokens.length / ((performance.now() - started) / 1000);
}

async function main(): Promise<void> {
  const rs = await nodeRs();
  const perCall: Record<string, Record<string, number>> = {};
  const inFlight: Record<string, Record<string, number>> = {};
  for (const alg of BENCH_ALGORITHMS) {
    const key = benchKey(alg);
    const tokens = signTokens(key, CALLS[alg]);
    const list = contenders(key, rs);
    // Warm-up on tokens of their own, so no contender has seen the measured ones.
    const warm = signTokens(key, Math.min(2000, CALLS[alg]));
    for (const contender of list) {
      const made = await contender.make();
      await perCallNs(made.verify, warm);
      await made.close?.();
    }
    const samples: Record<string, number[]> = Object.fromEntries(list.map(({ name }) => [name, []]));
    const flights: Record<string, number[]> = Object.fromEntries(list.map(({ name }) => [name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const contender of round % 2 === 0 ? list : [...list].reverse()) {
        let made = await contender.make();
        samples[contender.name]?.push(await perCallNs(made.verify, tokens));
        await made.close?.();
        made = await contender.make();
        flights[contender.name]?.push(await inFlightPerSecond(made.verify, tokens));
        await made.close?.();
      }
    }
    perCall[alg] = Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, median(values)]));
    inFlight[alg] = Object.fromEntries(Object.entries(flights).map(([name, values]) => [name, median(values)]));
    console.log(
      `${alg}: ` +
        Object.entries(perCall[alg] as Record<string, number>)
          .map(
            ([name, ns]) =>
              `${name} ${(ns / 1000).toFixed(1)} us (${Math.round((inFlight[alg] as Record<string, number>)[name] ?? 0)}/s at ${IN_FLIGHT} in flight)`,
          )
          .join(', '),
    );
  }

  const rows: Row[] = [];
  const of = (table: Record<string, Record<string, number>>, alg: string, name: string) =>
    (table[alg] as Record<string, number>)[name] as number;
  for (const alg of BENCH_ALGORITHMS) {
    const ours = of(perCall, alg, 'Revocast verify()');
    const fast = of(perCall, alg, 'fast-jwt (no cache)');
    rows.push({
      target: 12.1,
      metric: `never-seen ${alg} verify() per call vs fast-jwt`,
      unit: 'ns',
      ours,
      baselineName: 'fast-jwt, cache: false',
      baseline: fast,
      goal: '<= 1.1x',
      met: ours / fast <= 1.1,
    });
  }
  const hsOurs = of(perCall, 'HS256', 'Revocast verify()');
  const hsJose = of(perCall, 'HS256', 'jose.jwtVerify');
  rows.push({
    target: 12.1,
    metric: 'never-seen HS256 verify() per call vs jose',
    unit: 'ns',
    ours: hsOurs,
    baselineName: 'jose.jwtVerify',
    baseline: hsJose,
    goal: '>= 5x faster (ratio <= 0.2)',
    met: hsJose / hsOurs >= 5,
  });
  if (rs !== undefined) {
    for (const alg of BENCH_ALGORITHMS) {
      const ours = of(perCall, alg, 'Revocast verify()');
      const native = of(perCall, alg, '@node-rs/jsonwebtoken verifySync');
      rows.push({
        target: 12.1,
        metric: `never-seen ${alg} verify() per call vs Rust`,
        unit: 'ns',
        ours,
        baselineName: '@node-rs/jsonwebtoken verifySync',
        baseline: native,
        goal: '(context)',
        met: true,
      });
    }
  }
  for (const alg of ['HS256', 'ES256'] as const) {
    const ours = of(inFlight, alg, 'Revocast verify()');
    const fast = of(inFlight, alg, 'fast-jwt (no cache)');
    rows.push({
      target: 12.2,
      metric: `never-seen ${alg}, ${IN_FLIGHT} in flight`,
      unit: '/s',
      ours,
      baselineName: 'fast-jwt, cache: false',
      baseline: fast,
      goal: '>= 1x',
      met: ours >= fast,
    });
  }
  report('never-seen-token', 'Targets 12.1, 12.2: tokens verify() has never seen', rows, {
    perCallNs: perCall,
    inFlightPerSecond: inFlight,
    calls: CALLS,
    rounds: ROUNDS,
  });
  const names = Object.keys(perCall['HS256'] as Record<string, number>);
  saveChart(
    'never-seen.svg',
    barChart({
      title: `A never-seen token, one at a time (median of ${ROUNDS} rounds, same run)`,
      yLabel: 'microseconds per verification',
      categories: [...BENCH_ALGORITHMS],
      series: names.map((name) => ({ name, values: BENCH_ALGORITHMS.map((alg) => of(perCall, alg, name) / 1000) })),
    }),
  );
}

await main();
