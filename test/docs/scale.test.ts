import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

interface Results {
  readonly data: Record<string, unknown>;
}

function results(name: string): Results {
  return JSON.parse(readFileSync(`bench/results/${name}.json`, 'utf8')) as Results;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

/**
 * SCALE.md's capacity model rests on constants measured by the benchmarks;
 * each one it states must be what the recorded run in bench/results/ gives,
 * so a benchmark run again and a model left behind cannot both be committed.
 */
describe('SCALE.md', () => {
  const text = readFileSync('SCALE.md', 'utf8');

  it('states the join and memory constants of the recorded snapshot-join run', () => {
    const data = results('snapshot-join').data as {
      snapshot: { bytes: number };
      redisBytesPerEntry: number;
      mirrorBytesPerEntry: number;
      scans: Array<{ cpuMs: number; entries: number }>;
      snapshots: Array<{ cpuMs: number; entries: number }>;
    };
    const entries = data.snapshots[0]?.entries as number;
    expect(entries).toBe(1_000_000);
    expect(text).toContain(`**${Math.round(data.redisBytesPerEntry)} B**`);
    expect(text).toContain(`**${Math.round(data.mirrorBytesPerEntry)} B**`);
    expect(text).toContain(`**${(data.snapshot.bytes / entries).toFixed(1)} B**`);
    const scanNsPerEntry = (median(data.scans.map((s) => s.cpuMs)) * 1e6) / entries;
    expect(text).toContain(`**${(scanNsPerEntry / 1000).toFixed(1)} µs**`);
    const snapshotNsPerEntry = (median(data.snapshots.map((s) => s.cpuMs)) * 1e6) / entries;
    expect(text).toContain(`**${Math.round(snapshotNsPerEntry)} ns**`);
  });

  it('states the delivery constants of the recorded fan-out run', () => {
    type Mode = { netCpuPerDeliveryUs: number; netCpuPerRevocationUs: number; masterCpuPerRevocationMs: number };
    const figures = (results('fan-out').data as { figures: Record<string, Record<string, Mode>> }).figures;
    const masterOnly = figures['master only'] as Record<string, Mode>;
    const replicas = figures['two replicas'] as Record<string, Mode>;
    expect(text).toContain(`**${masterOnly['one by one']?.netCpuPerDeliveryUs.toFixed(1)} µs**`);
    expect(text).toContain(`**${masterOnly.coalesced?.netCpuPerRevocationUs.toFixed(1)} µs**`);
    expect(text).toContain(`**${replicas.coalesced?.masterCpuPerRevocationMs.toFixed(2)} ms**`);
  });
});
