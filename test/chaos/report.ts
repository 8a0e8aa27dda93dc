import { FAULT_DESCRIPTIONS, FAULT_KINDS } from './faults.js';
import type { ChaosReport } from './chaos-run.js';

const percentile = (values: readonly number[], p: number): number => {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
};

const ms = (value: number): string => `${Math.round(value)} ms`;

/** The run's figures as Markdown, the way RELIABILITY.md shows them. */
export function formatReport(report: ChaosReport): string {
  const { options, acknowledged, workload, checker } = report;
  const lines = [
    `Chaos run: ${(report.elapsedMs / 1000).toFixed(0)} s in all, faults for ${(options.durationMs / 1000).toFixed(0)} s, seed ${options.seed}, ` +
      `${options.replicas} service replicas, ${options.verifiers} verifiers in the harness and 1 in its own process, staleness budget (maxStaleness) ${options.budgetMs / 1000} s.`,
    '',
    '| Check | Result |',
    '|---|---|',
    `| Acknowledged revocations | ${acknowledged.total} (token ${acknowledged.token}, session ${acknowledged.session}, subject ${acknowledged.subject}); ${workload.reinstatesAcknowledged} reinstates |`,
    `| Requests sent / retried after a failure / never acknowledged | ${workload.requests} / ${workload.retried} / ${workload.unacknowledged} |`,
    `| **Lost** (acknowledged, missing from the record or a verifier at the end) | **${report.lost.length}** |`,
    `| **Accepted after revocation beyond the budget** | **${checker.lateAccepts.length}** |`,
    `| Checks that accepted a revoked token within the budget (propagation under way) | ${checker.acceptedWithinBudget} |`,
    `| Checks refused by a stale verifier (fail closed) | ${checker.refusedStale} of ${checker.checks} |`,
    `| Acknowledgement to rejection on every verifier: median / p99 / max | ${ms(percentile(checker.enforceDelays, 50))} / ${ms(percentile(checker.enforceDelays, 99))} / ${ms(checker.maxEnforceMs)} |`,
    `| Maximum observed staleness (age of a list still serving) | ${ms(checker.maxServingAgeMs)} |`,
    `| Every verifier's list equals the record at the end | ${report.mismatches.length === 0 && report.converged ? `yes (${report.recordEntries} entries)` : `NO: ${report.mismatches.slice(0, 3).join('; ')}`} |`,
    `| Re-seeds of Redis from the record | ${
      Object.entries(report.reseeds)
        .map(([reason, n]) => `${reason} ${n}`)
        .join(', ') || 'none'
    } |`,
    `| Reconciliation repairs | ${report.reconcileRepairs} |`,
    `| Event-loop delay of the harness process (its verifiers share it): p99 / max | ${ms(report.harnessDelayMs.p99)} / ${ms(report.harnessDelayMs.max)} |`,
    '',
    '| Fault | Injected | Recovered after it ended: median / max | From its start: median / max |',
    '|---|---|---|---|',
  ];
  const spread = (values: readonly number[]) => (values.length === 0 ? '-' : `${ms(percentile(values, 50))} / ${ms(Math.max(...values))}`);
  for (const kind of FAULT_KINDS) {
    const hits = report.faults.filter((f) => f.kind === kind);
    const recovery = hits.flatMap((f) => (f.recoveryMs === undefined ? [] : [f.recoveryMs]));
    const disruption = hits.flatMap((f) => (f.disruptionMs === undefined ? [] : [f.disruptionMs]));
    const never = hits.length - recovery.length;
    lines.push(
      `| ${FAULT_DESCRIPTIONS[kind]} | ${hits.length} | ${spread(recovery)}${never > 0 ? ` (${never} never)` : ''} | ${spread(disruption)} |`,
    );
  }
  lines.push(
    '',
    'Recovered: every verifier serves (is not stale) and holds every change committed to the record by the moment the fault ended.',
  );
  return lines.join('\n');
}

/** Whether the run kept every promise: nothing lost, no late accept, every verifier equal to the record, every fault recovered. */
export function passed(report: ChaosReport): boolean {
  return (
    report.lost.length === 0 &&
    report.checker.lateAccepts.length === 0 &&
    report.mismatches.length === 0 &&
    report.converged &&
    report.faults.every((f) => f.recoveryMs !== undefined)
  );
}
