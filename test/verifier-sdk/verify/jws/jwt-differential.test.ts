import { describe, expect, it } from 'vitest';
import { runJwtDifferential } from '../../../support/jwt-differential.js';

/**
 * A seed-fixed slice of the whole-token differential property: the JWS core
 * then the claims validator, as verify() runs them, against jose.jwtVerify
 * with the same required claims, issuer, audience, tolerance and clock
 * (`npm run differential -- --jwt` for the long run).
 */
describe('the token check and jose.jwtVerify', () => {
  it('agree on accept, expired or invalid for random claims around now, except where a Revocast claim rule applies', async () => {
    const tally = await runJwtDifferential({ numRuns: 1500, seed: 20261130 });
    console.log(
      `jwt differential: ${tally.cases} cases, ${tally.accepted} accepted by both, refused: ${JSON.stringify(Object.fromEntries(tally.refused))}, not canonical: ${tally.stricter}`,
    );
    expect(tally.cases).toBe(1500);
    expect(tally.accepted).toBeGreaterThan(10);
    for (const reason of ['expired', 'claim-invalid', 'Revocast claim rule', 'bad-signature', 'malformed']) {
      expect(tally.refused.get(reason) ?? 0, reason).toBeGreaterThan(0);
    }
  }, 60_000);
});
