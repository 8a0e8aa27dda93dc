import { describe, expect, it } from 'vitest';
import { runDifferential } from '../../../support/jws-differential.js';

/**
 * A seed-fixed slice of the differential property against jose (the full
 * run, over 100,000 cases, is `npm run differential`). Fails on the first
 * token the core and jose judge differently.
 */
describe('the JWS core and jose.jwtVerify', () => {
  it('agree on accept or reject, and on the class of error, for random keys, headers, payloads and mutations', async () => {
    const tally = await runDifferential({ numRuns: 1500, seed: 20261129 });
    console.log(
      `differential: ${tally.cases} cases, ${tally.accepted} accepted by both, refused by both: ${JSON.stringify(Object.fromEntries(tally.refused))}, refused only by the core as not canonical: ${tally.stricter}, on the thread pool: ${JSON.stringify(tally.pooled)}`,
    );
    // The generator must reach every verdict, or agreement proves little.
    expect(tally.cases).toBe(1500);
    expect(tally.accepted).toBeGreaterThan(150);
    for (const reason of ['malformed', 'unsupported', 'alg-not-allowed', 'bad-signature', 'not-a-jwt', 'key-unusable']) {
      expect(tally.refused.get(reason) ?? 0, reason).toBeGreaterThan(0);
    }
    expect(tally.stricter).toBeGreaterThan(0);
    // The elliptic-curve checks on the thread pool are held to jose too.
    expect(tally.pooled.cases).toBeGreaterThan(100);
    expect(tally.pooled.accepted).toBeGreaterThan(10);
  }, 60_000);
});
