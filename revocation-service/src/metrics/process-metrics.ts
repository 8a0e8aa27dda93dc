import { collectDefaultMetrics, type Registry } from 'prom-client';

/**
 * prom-client's gauges that end in `_total` against the Prometheus naming
 * rules; each is the sum of a per-type gauge it also exports
 * (`nodejs_active_handles{type}`, ...), so nothing is lost without them.
 */
const MISNAMED = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/** The standard process and Node.js metrics, less the misnamed ones, so `promtool check metrics` passes. */
export function collectProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry });
  for (const name of MISNAMED) registry.removeSingleMetric(name);
}
