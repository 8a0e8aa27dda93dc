import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { RevocationType } from '@revocast/verifier-sdk/protocol';

export interface ServiceMetrics {
  readonly changes: Counter<'type' | 'op'>;
  readonly publishDuration: Histogram<'op'>;
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route'>;
  readonly authFailures: Counter;
}

/** Registers the service metrics. `counts` is read on every scrape. */
export function createServiceMetrics(
  registry: Registry,
  counts: () => Promise<Record<RevocationType, number>>,
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
  return {
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
    authFailures: new Counter({
      name: 'revocast_admin_auth_failures_total',
      help: 'Admin API calls refused for a missing or invalid key.',
      registers,
    }),
  };
}
