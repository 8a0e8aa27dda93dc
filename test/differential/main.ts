import { parseArgs } from 'node:util';
import { runDifferential } from '../support/jws-differential.js';

/**
 * `npm run differential [-- --runs 100000 --seed 42]`: the long run of the
 * differential property of the JWS core against jose (test/support/jws-differential.ts).
 * Prints the tally; exits non-zero with the counterexample on the first disagreement.
 */
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '100000' },
    seed: { type: 'string', default: String(Date.now() % 1_000_000) },
  },
});
const numRuns = Number(values.runs);
const seed = Number(values.seed);
if (!Number.isSafeInteger(numRuns) || numRuns < 1 || !Number.isSafeInteger(seed)) {
  console.error('differential: --runs and --seed must be whole numbers');
  process.exit(2);
}
const started = performance.now();
console.log(`differential: ${numRuns} cases, seed ${seed}`);
try {
  const tally = await runDifferential({ numRuns, seed, log: (line) => console.log(line) });
  console.log(
    [
      `differential: ${tally.cases} cases in ${((performance.now() - started) / 1000).toFixed(0)} s, seed ${seed}: no disagreement`,
      `  accepted by both: ${tally.accepted}`,
      ...[...tally.refused].sort((a, b) => b[1] - a[1]).map(([reason, count]) => `  refused by both as ${reason}: ${count}`),
      `  refused only by the core, as not canonical base64url: ${tally.stricter}`,
    ].join('\n'),
  );
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}
