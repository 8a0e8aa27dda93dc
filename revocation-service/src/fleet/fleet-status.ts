import type { VerifierReport } from '@revocast/verifier-sdk/protocol';
import { collectAcks } from './wait-for-verifiers.js';
import type { VerifierFleet } from './verifier-fleet.js';
import { DEFAULTS } from '../config/defaults.js';

/** One live verifier as `GET /v1/verifiers` shows it. */
export interface VerifierView {
  readonly id: string;
  readonly host: string;
  readonly sdkVersion: string;
  readonly state: string;
  readonly epoch: string | null;
  readonly offset: number;
  readonly lastSyncAt: string | null;
  readonly reportedAt: string;
  readonly startedAt: string;
  /**
   * How far behind the head it is. `offsets` is `null` when it follows
   * another epoch (it is reloading); `seconds` is how long the oldest change
   * it has not applied has been waiting (or, in another epoch, since its last
   * confirmed sync).
   */
  readonly lag: { readonly offsets: number | null; readonly seconds: number | null };
}

export interface FleetStatus {
  readonly head: { readonly epoch: string | null; readonly offset: number };
  readonly verifiers: readonly VerifierView[];
}

/**
 * Reads the live verifiers and their lag. Reports are up to one heartbeat
 * old, so the verifiers not already at the head are asked to acknowledge it
 * (for up to `probeMs`): those that do are current, the rest are measured
 * from their last report.
 */
export async function readFleetStatus(
  fleet: VerifierFleet,
  clock: () => number = Date.now,
  probeMs: number = DEFAULTS.fleetProbeMs,
): Promise<FleetStatus> {
  const { head, reports } = await fleet.snapshot();
  const behind = new Set(reports.filter((r) => r.epoch !== head.epoch || r.offset < head.offset).map((r) => r.id));
  const current =
    head.epoch !== null && behind.size > 0
      ? await collectAcks(fleet, { epoch: head.epoch, offset: head.offset }, behind, probeMs)
      : new Set<string>();
  const now = clock();
  const verifiers = await Promise.all(
    reports.map(async (report): Promise<VerifierView> => {
      const offset = current.has(report.id) ? Math.max(report.offset, head.offset) : report.offset;
      return {
        id: report.id,
        host: report.host,
        sdkVersion: report.sdkVersion,
        state: report.state,
        epoch: current.has(report.id) ? head.epoch : report.epoch,
        offset,
        lastSyncAt: report.lastSyncAt === null ? null : new Date(report.lastSyncAt).toISOString(),
        reportedAt: new Date(report.reportedAt).toISOString(),
        startedAt: new Date(report.startedAt).toISOString(),
        lag: current.has(report.id) ? { offsets: 0, seconds: 0 } : await lagOf(fleet, report, head, now),
      };
    }),
  );
  verifiers.sort((a, b) => a.id.localeCompare(b.id));
  return { head: { epoch: head.epoch, offset: head.offset }, verifiers };
}

async function lagOf(
  fleet: VerifierFleet,
  report: VerifierReport,
  head: { epoch: string | null; offset: number },
  now: number,
): Promise<VerifierView['lag']> {
  const sinceSync = report.lastSyncAt === null ? null : seconds(now - report.lastSyncAt);
  if (report.epoch !== head.epoch) return { offsets: head.epoch === null ? 0 : null, seconds: head.epoch === null ? 0 : sinceSync };
  const offsets = Math.max(0, head.offset - report.offset);
  if (offsets === 0) return { offsets, seconds: 0 };
  const next = await fleet.changeAfter(report.streamId);
  return { offsets, seconds: next === undefined ? sinceSync : seconds(now - next.change.at) };
}

function seconds(ms: number): number {
  return Math.max(0, Math.round(ms) / 1000);
}
