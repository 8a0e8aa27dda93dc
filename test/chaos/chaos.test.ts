import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runChaos } from './chaos-run.js';
import { FAULT_KINDS } from './faults.js';
import { formatReport } from './report.js';

/**
 * The short chaos run (the long one is `npm run chaos`): every kind of fault
 * at least once while revocations flow (the schedule injects each kind once
 * before any repeats, however long that takes on a loaded machine), and not
 * one acknowledged revocation lost or accepted past the staleness budget.
 */
describe('chaos, short run', () => {
  it('loses nothing acknowledged and accepts nothing late while Redis, Sentinel and the service fail', async () => {
    const lines: string[] = [];
    const report = await runChaos({
      durationMs: Number(process.env.CHAOS_SHORT_DURATION ?? 25) * 1000,
      seed: Number(process.env.CHAOS_SEED ?? Date.now() % 1_000_000),
      rate: 25,
      budgetMs: 5000,
      replicas: 2,
      verifiers: 3,
      log: (line) => void lines.push(line),
      // Well inside the test's own timeout, so a crawling machine fails the test with a report and stopped processes, not a hang.
      deadlineMs: 240_000,
    });
    console.log(`${lines.join('\n')}\n\n${formatReport(report)}`);
    if (report.checker.lateAccepts.length > 0) console.log('late accepts', report.checker.lateAccepts.slice(0, 10));
    expect(report.cutShort, 'the run reached its deadline before every kind of fault was injected').toBe(false);
    expect(new Set(report.faults.map((f) => f.kind))).toEqual(new Set(FAULT_KINDS));
    expect(report.acknowledged.total).toBeGreaterThan(200);
    expect(report.lost).toEqual([]);
    expect(report.checker.lateAccepts).toEqual([]);
    expect(report.faults.filter((f) => f.recoveryMs === undefined)).toEqual([]);
    expect(report.converged).toBe(true);
    expect(report.mismatches).toEqual([]);
    // The services' logs are kept only when something went wrong.
    rmSync(report.logDir, { recursive: true, force: true });
  }, 420_000);
});
