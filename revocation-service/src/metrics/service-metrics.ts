import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { RevocationType } from '@revocast/verifier-sdk/protocol';
import type { FleetStatus } from '../fleet/fleet-status.js';
import type { AdminStateFeature } from '../admin-state/fail-safe-admin-state.js';
import type { RejectionReason } from '../http/admin-auth.js';
import { DEFAULTS } from '../config/defaults.js';

/** Why introspection found a token inactive; `none` for an active one. */
export type IntrospectionReason = 'none' | 'jti' | 'subject' | 'session' | 'expired' | 'invalid';

export interface ServiceMetrics {
  readonly changes: Counter<'type' | 'op'>;
  readonly publishDuration: Histogram<'op'>;
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route'>;
  readonly adminRejections: Counter<'reason'>;
  readonly propagationWaits: Counter<'outcome'>;
  readonly propagationWaitDuration: Histogram;
  readonly introspections: Counter<'result' | 'reason'>;
  readonly changeStreams: Gauge;
  readonly adminStateFailures: Counter<'feature'>;
}

const REJECTION_REASONS: readonly RejectionReason[] = ['unauthenticated', 'forbidden', 'rate_limited', 'throttled'];
const ADMIN_STATE_FEATURES: readonly AdminStateFeature[] = ['rate_limit', 'auth_throttle', 'console_sessions'];
const REPORTED_STATES = ['starting', 'ready', 'stale'] as const;

/** Registers the service metrics. `counts` and `fleetStatus` are read on scrape. */
export function createServiceMetrics(
  registry: Registry,
  counts: () => Promise<Record<RevocationType, number>>,
  fleetStatus?: () => Promise<FleetStatus>,
): ServiceMetrics {
  const registers = [registry];
  new Gauge({
    name: 'revocast_live_entries',
    help: 'Live revocations in the store, by type.',
    labelNames: ['type'] as const,
    registers,
    async collect() {
      try {
        for (const [type, count] of Object.entries(await counts())) this.set({ type }, count);
      } catch {
        // The store is down: keep the last values; /readyz reports the outage.
      }
    },
  });
  if (fleetStatus !== undefined) registerFleetGauges(registers, fleetStatus);
  const adminRejections = new Counter({
    name: 'revocast_admin_rejections_total',
    help: 'Admin calls refused, by reason: unauthenticated (no or a wrong key), forbidden (missing scope), rate_limited, throttled (a wrong key from an address that failed too often).',
    labelNames: ['reason'] as const,
    registers,
  });
  for (const reason of REJECTION_REASONS) adminRejections.inc({ reason }, 0);
  const propagationWaits = new Counter({
    name: 'revocast_propagation_waits_total',
    help: 'Changes made with wait=all, by outcome: complete (every live verifier acknowledged) or timeout.',
    labelNames: ['outcome'] as const,
    registers,
  });
  for (const outcome of ['complete', 'timeout']) propagationWaits.inc({ outcome }, 0);
  const adminStateFailures = new Counter({
    name: 'revocast_admin_state_failures_total',
    help: "Calls to the admin state shared in Redis that failed, by feature: rate_limit and auth_throttle then used this replica's own buckets, console_sessions answered 503.",
    labelNames: ['feature'] as const,
    registers,
  });
  for (const feature of ADMIN_STATE_FEATURES) adminStateFailures.inc({ feature }, 0);
  return {
    adminStateFailures,
    changes: new Counter({
      name: 'revocast_revocation_changes_total',
      help: 'Changes recorded and published, by revocation type and operation (revoke, reinstate).',
      labelNames: ['type', 'op'] as const,
      registers,
    }),
    publishDuration: new Histogram({
      name: 'revocast_publish_duration_seconds',
      help: 'Time to record and publish one change, by operation.',
      labelNames: ['op'] as const,
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    }),
    httpRequests: new Counter({
      name: 'revocast_http_requests_total',
      help: 'HTTP requests answered, by method, route and status.',
      labelNames: ['method', 'route', 'status'] as const,
      registers,
    }),
    httpDuration: new Histogram({
      name: 'revocast_http_request_duration_seconds',
      help: 'HTTP request duration, by method and route.',
      labelNames: ['method', 'route'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    adminRejections,
    propagationWaits,
    propagationWaitDuration: new Histogram({
      name: 'revocast_propagation_wait_duration_seconds',
      help: 'Time from recording a change to the last live verifier acknowledging it (wait=all), timeouts included.',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    introspections: new Counter({
      name: 'revocast_introspections_total',
      help: 'Tokens introspected, by result (active, inactive) and reason (none, jti, subject, session, expired, invalid).',
      labelNames: ['result', 'reason'] as const,
      registers,
    }),
    changeStreams: new Gauge({
      name: 'revocast_change_streams',
      help: 'Open live change streams (revocast tail, the admin console).',
      registers,
    }),
  };
}

/** Gauges about the live verifiers; one fleet read per scrape feeds all three. */
function registerFleetGauges(registers: Registry[], fleetStatus: () => Promise<FleetStatus>): void {
  let cached: { at: number; status: Promise<FleetStatus | undefined> } | undefined;
  const read = (): Promise<FleetStatus | undefined> => {
    const now = Date.now();
    if (cached === undefined || now - cached.at > DEFAULTS.fleetMetricsCacheMs) {
      // Redis down: no fleet values this scrape; /readyz reports the outage.
      cached = { at: now, status: fleetStatus().catch(() => undefined) };
    }
    return cached.status;
  };
  new Gauge({
    name: 'revocast_verifiers',
    help: 'Live verifiers (reports not expired), by the sync state they report: starting, ready, stale.',
    labelNames: ['state'] as const,
    registers,
    async collect() {
      const status = await read();
      if (status === undefined) return;
      const byState = new Map<string, number>(REPORTED_STATES.map((state) => [state, 0]));
      for (const { state } of status.verifiers) {
        const count = byState.get(state);
        if (count !== undefined) byState.set(state, count + 1);
      }
      for (const [state, count] of byState) this.set({ state }, count);
    },
  });
  const perVerifier = (name: string, help: string, pick: (lag: FleetStatus['verifiers'][number]['lag']) => number | null) =>
    new Gauge({
      name,
      help,
      labelNames: ['verifier'] as const,
      registers,
      async collect() {
        const status = await read();
        if (status === undefined) return;
        // Only live verifiers: one series each, gone once a verifier stops reporting.
        this.reset();
        for (const verifier of status.verifiers) {
          const value = pick(verifier.lag);
          if (value !== null) this.set({ verifier: verifier.id }, value);
        }
      },
    });
  perVerifier('revocast_propagation_lag_offsets', 'Changes each live verifier has not applied yet, by verifier id.', (lag) => lag.offsets);
  perVerifier(
    'revocast_propagation_lag_seconds',
    'How long the oldest change each live verifier has not applied has been waiting, by verifier id.',
    (lag) => lag.seconds,
  );
}
