import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Verifier } from '@revocast/verifier-sdk';
import { ADMIN_SECRET, signToken, testVerifier, uniquePrefix, waitFor } from '../support/fixtures.js';

/** Metric families named in `# TYPE` lines. */
function families(exposition: string): Set<string> {
  return new Set([...exposition.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1] as string));
}

function promtool(exposition: string): { status: number | null; output: string } {
  const run = spawnSync('promtool', ['check', 'metrics'], { input: exposition, encoding: 'utf8' });
  if (run.error !== undefined) throw new Error(`promtool is not installed (Debian package "prometheus"): ${run.error.message}`);
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

/** Metric names a PromQL expression reads, histogram suffixes folded into their family. */
function queried(expr: string): string[] {
  return [...expr.matchAll(/\b(revocast_[a-z_]+)\b/g)].map((m) => (m[1] as string).replace(/_(bucket|sum|count)$/, ''));
}

describe('metrics: Prometheus conventions, documentation and the dashboard', () => {
  const redisUrl = inject('redisUrl');
  const keyPrefix = uniquePrefix();
  let service: ChildProcess;
  let serviceUrl = '';
  let serviceMetrics = '';
  let sdkMetrics = '';
  let verifier: Verifier;

  beforeAll(async () => {
    // The real service process, as `npm run service` starts it (from source here).
    service = spawn(process.execPath, ['--conditions=revocast-source', '--import', 'tsx', 'revocation-service/src/main.ts'], {
      env: {
        ...process.env,
        REDIS_URL: redisUrl,
        REVOCAST_KEY_PREFIX: keyPrefix,
        PORT: '0',
        REVOCAST_ADMIN_KEYS: `tests:${ADMIN_SECRET}`,
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    service.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    service.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitFor(() => /"port":\d+/.test(output) || service.exitCode !== null, 20_000, 20);
    serviceUrl = `http://127.0.0.1:${/"port":(\d+)/.exec(output)?.[1] ?? 'none'}`;

    const registry = new Registry();
    verifier = testVerifier({ redis: redisUrl, keyPrefix, registry, id: 'metrics-web' });
    await verifier.ready();
    const admin = { authorization: `Bearer ${ADMIN_SECRET}`, 'content-type': 'application/json' };
    await fetch(`${serviceUrl}/v1/revocations?wait=all`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ type: 'subject', sub: 'metrics-user' }),
    });
    await fetch(`${serviceUrl}/v1/revocations`, { headers: { authorization: 'Bearer wrong-key-0123456789' } });
    // Exercise every outcome of a check, so each labelled series shows up.
    for (const claims of [{}, { sub: 'metrics-user', iat: 1 }, { exp: 1 }])
      await verifier.verify(await signToken(claims)).catch(() => undefined);
    await verifier.verify('not.a.token').catch(() => undefined);
    serviceMetrics = await (await fetch(`${serviceUrl}/metrics`)).text();
    sdkMetrics = await registry.metrics();
  }, 40_000);
  afterAll(async () => {
    await verifier?.close();
    service?.kill('SIGTERM');
  });

  it('passes promtool check metrics on the service /metrics', () => {
    expect(serviceMetrics).toContain('revocast_propagation_lag_seconds{verifier="metrics-web"}');
    expect(promtool(serviceMetrics)).toEqual({ status: 0, output: '' });
  });

  it('passes promtool check metrics on an SDK registry, with a reason on every rejection', () => {
    expect(promtool(sdkMetrics)).toEqual({ status: 0, output: '' });
    for (const reason of ['subject', 'expired', 'invalid'])
      expect(sdkMetrics).toMatch(new RegExp(`revocast_verifier_checks_total\\{result="rejected",reason="${reason}"\\} [1-9]`));
    expect(sdkMetrics).toMatch(/revocast_verifier_checks_total\{result="accepted",reason="none"\} [1-9]/);
  });

  it('documents exactly the metrics that exist, in docs/metrics.md', () => {
    const documented = new Set(
      [...readFileSync('docs/metrics.md', 'utf8').matchAll(/^\| `(revocast_[a-z_]+)`/gm)].map((m) => m[1] as string),
    );
    const exposed = new Set([...families(serviceMetrics), ...families(sdkMetrics)].filter((name) => name.startsWith('revocast_')));
    expect([...exposed].filter((name) => !documented.has(name))).toEqual([]);
    expect([...documented].filter((name) => !exposed.has(name))).toEqual([]);
  });

  it('ships a Grafana dashboard with the expected panels, querying only metrics that exist', () => {
    const dashboard = JSON.parse(readFileSync('ops/grafana/revocast-dashboard.json', 'utf8')) as {
      title: string;
      uid: string;
      schemaVersion: number;
      panels: Array<{ title: string; type: string; gridPos: object; targets?: Array<{ expr: string }> }>;
      __inputs: Array<{ name: string; pluginId: string }>;
    };
    expect(dashboard.uid).toMatch(/^[a-z0-9-]{1,40}$/);
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.__inputs).toContainEqual(expect.objectContaining({ name: 'DS_PROMETHEUS', pluginId: 'prometheus' }));
    const titles = dashboard.panels.map((panel) => panel.title);
    for (const title of [
      'Propagation lag per verifier (seconds)',
      'Propagation lag per verifier (offsets)',
      'Live entries',
      'Checks by outcome',
      'Stale verifiers',
      'Catch-ups and reloads',
      'Admin API errors',
    ]) {
      expect(titles).toContain(title);
    }
    const exposed = new Set([...families(serviceMetrics), ...families(sdkMetrics)]);
    const queries = dashboard.panels.flatMap((panel) => panel.targets ?? []);
    expect(queries.length).toBeGreaterThanOrEqual(titles.length);
    for (const { expr } of queries) {
      expect(queried(expr).length, expr).toBeGreaterThan(0);
      for (const name of queried(expr)) expect(exposed.has(name), `${name} in ${expr}`).toBe(true);
    }
    for (const panel of dashboard.panels)
      expect(panel.gridPos).toMatchObject({ h: expect.any(Number), w: expect.any(Number), x: expect.any(Number), y: expect.any(Number) });
  });
});
