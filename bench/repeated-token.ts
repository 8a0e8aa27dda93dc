/**
 * Target 3: verify() on tokens a client sends again and again, through the
 * verified-token cache, against jose.jwtVerify and fast-jwt's own cache on
 * the same tokens.
 *
 * Run alone: node --conditions=revocast-source --import tsx bench/repeated-token.ts
 */
import { SignJWT, jwtVerify } from 'jose';
import { createVerifier as createFastJwtVerifier } from 'fast-jwt';
import { createVerifier } from '@revocast/verifier-sdk';
import { MemoryStore } from '@revocast/revocation-service';
import { uuid } from './support/ids.js';
import { report, type Row } from './support/report.js';
import { NS_PER_MS } from './support/stats.js';

const SECRET_TEXT = 'benchmark-secret-of-at-least-32-bytes!';
const SECRET = new TextEncoder().encode(SECRET_TEXT);
/** Distinct tokens, used round robin: many clients, each repeating its own token. */
const TOKENS = 100;
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

async function perCall(calls: number, run: (i: number) => unknown): Promise<number> {
  for (let i = 0; i < Math.min(calls, 5000); i++) await run(i);
  const started = performance.now();
  for (let i = 0; i < calls; i++) await run(i);
  return ((performance.now() - started) * NS_PER_MS) / calls;
}

async function main(): Promise<void> {
  const tokens = await Promise.all(
    Array.from({ length: TOKENS }, (_, i) =>
      new SignJWT({ jti: uuid(), sub: `user-${i}`, sid: `session-${i}`, iat: Date.now() / 1000 })
        .setProtectedHeader({ alg: 'HS256' })
        .setExpirationTime('1h')
        .sign(SECRET),
    ),
  );
  const token = (i: number) => tokens[i % TOKENS] as string;
  const store = new MemoryStore({ maxTokenTtlMs: 3_600_000, retentionGraceMs: 60_000 });
  const cached = createVerifier({ source: store.feed(), key: SECRET, algorithms: ['HS256'], logger: quiet });
  const uncached = createVerifier({ source: store.feed(), key: SECRET, algorithms: ['HS256'], logger: quiet, tokenCache: false });
  await Promise.all([cached.ready(), uncached.ready()]);
  const joseOptions = { algorithms: ['HS256'], requiredClaims: ['exp', 'jti'], clockTolerance: 5 };
  const fastJwt = createFastJwtVerifier({ key: SECRET_TEXT, algorithms: ['HS256'], cache: true, cacheTTL: 600_000, clockTolerance: 5000 });

  const ours = await perCall(500_000, (i) => cached.verify(token(i)));
  const oursUncached = await perCall(20_000, (i) => uncached.verify(token(i)));
  const jose = await perCall(20_000, (i) => jwtVerify(token(i), SECRET, joseOptions));
  const fast = await perCall(500_000, (i) => fastJwt(token(i)));
  console.log(
    `per call: verify() cached ${ours.toFixed(0)} ns, verify() without cache ${(oursUncached / 1000).toFixed(1)} us, ` +
      `jose.jwtVerify ${(jose / 1000).toFixed(1)} us, fast-jwt with cache ${fast.toFixed(0)} ns`,
  );
  await Promise.all([cached.close(), uncached.close()]);

  const rows: Row[] = [
    {
      target: 3,
      metric: 'verify() per call, repeated tokens, vs jose',
      unit: 'ns',
      ours,
      baselineName: 'jose.jwtVerify',
      baseline: jose,
      goal: '>= 20x faster (ratio <= 0.05)',
      met: jose / ours >= 20,
    },
    {
      target: 3,
      metric: 'verify() per call, repeated tokens, vs fast-jwt cache',
      unit: 'ns',
      ours,
      baselineName: 'fast-jwt verify, cache: true',
      baseline: fast,
      goal: 'faster (ratio < 1)',
      met: ours < fast,
    },
    {
      target: 3,
      metric: 'verify() per call without the cache',
      unit: 'ns',
      ours: oursUncached,
      baselineName: 'jose.jwtVerify',
      baseline: jose,
      goal: '(context: jose plus the list check)',
      met: true,
    },
  ];
  report('repeated-token', 'Target 3: repeated tokens through the verified-token cache', rows, { tokens: TOKENS });
}

await main();
