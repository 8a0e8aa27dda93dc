import { parseArgs } from 'node:util';
import { runDifferential } from '../support/jws-differential.js';
import { runJwtDifferential } from '../support/jwt-differential.js';

/**
 * `npm run differential [-- --runs 100000 --seed 42] [--jwt]`: the long run
 * of the differential property of the JWS core against jose
 * (test/support/jws-differential.ts), or with `--jwt` of the whole token
 * check, core then claims validator (test/support/jwt-differential.ts).
 * Prints the tally; exits non-zero with the counterexample on the first disagreement.
 */
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '100000' },
    seed: { type: 'string', default: String(Date.now() % 1_000_000) },
    jwt: { type: 'boolean', default: false },
  },
});
const numRuns = Number(values.runs);
const seed = Number(values.seed);
if (!Number.isSafeInteger(numRuns) || numRuns < 1 || !Number.isSafeInteger(seed)) {
  console.error('differential: --runs and --seed must be whole numbers');
  process.exit(2);
}
const started = performance.now();
const property = values.jwt ? 'core + claims validator vs jose.jwtVerify' : 'JWS core vs jose.jwtVerify';
console.log(`differential (${property}): ${numRuns} cases, seed ${seed}`);
try {
  const run = values.jwt ? runJwtDifferential : runDifferential;
  const tally = await run({ numRuns, seed, log: (line) => console.log(line) });
  console.log(
    [
      `differential: ${tally.cases} cases in ${((performance.now() - started) / 1000).toFixed(0)} s, seed ${seed}: no disagreement`,
      `  accepted by both: ${tally.accepted}`,
      ...[...tally.refused]
        .sort((a, b) => b[1] - a[1])
        .map(([reason, count]) =>
          reason === 'Revocast claim rule'
            ? `  refused by the core under a Revocast claim rule: ${count}`
            : `  refused by both as ${reason}: ${count}`,
        ),
      `  refused only by the core, as not canonical base64url: ${tally.stricter}`,
    ].join('\n'),
  );
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}
