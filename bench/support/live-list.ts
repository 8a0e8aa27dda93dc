/**
 * A service holding a large live list, as the join benchmarks need: loaded
 * through `POST /v1/revocations/batch` in 10,000-item calls (1% sessions,
 * 1% subjects, the rest tokens expiring within the hour), and the compact
 * snapshot written from a mirror of it (for services the benchmark builds
 * itself), or waited for from a service process, which writes it by itself.
 */
import type { Redis } from 'ioredis';
import { createRevocationMirror } from '@revocast/verifier-sdk';
import { redisKeys } from '@revocast/verifier-sdk/protocol';
import { createLogger } from '@revocast/revocation-service';
import { SnapshotWriter } from '../../revocation-service/src/snapshot/snapshot-writer.js';
import { uuid } from './ids.js';

/** Items per call: the bulk endpoint's limit. */
export const BULK_BATCH = 10_000;

function batchBody(n: number): string {
  const now = Math.floor(Date.now() / 1000);
  const items: unknown[] = [];
  for (let i = 0; i < BULK_BATCH; i++) {
    const kind = (n * BULK_BATCH + i) % 100;
    if (kind === 0) items.push({ type: 'session', sid: uuid() });
    else if (kind === 1) items.push({ type: 'subject', sub: uuid() });
    else items.push({ type: 'token', jti: uuid(), exp: now + 600 + ((i * 7919) % 3000) });
  }
  return JSON.stringify({ items });
}

/** Resolves once `url` answers 200 (a service's /readyz). */
export async function untilReady(url: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      if ((await fetch(url)).status === 200) return;
    } catch (err) {
      if (attempt > 1200) throw err;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Revokes `live` random ids through the bulk endpoint of the service at `baseUrl`; resolves with the seconds it took. */
export async function loadLiveList(baseUrl: string, adminSecret: string, live: number): Promise<number> {
  const started = performance.now();
  for (let n = 0; n < live / BULK_BATCH; n++) {
    const res = await fetch(`${baseUrl}/v1/revocations/batch`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminSecret}`, 'content-type': 'application/json' },
      body: batchBody(n),
    });
    if (res.status !== 201) throw new Error(`batch: HTTP ${res.status} ${await res.text()}`);
  }
  return (performance.now() - started) / 1000;
}

/** Writes the compact snapshot of what Redis holds now, from a mirror of it; resolves with what the write came to and its size. */
export async function writeSnapshot(
  redisUrl: string,
  redis: Redis,
  keyPrefix: string,
): Promise<{ result: string; ms: number; chunks: number; bytes: number }> {
  const mirror = createRevocationMirror({ redis: redisUrl, keyPrefix, commandTimeout: 30 });
  try {
    await mirror.ready();
    const writer = new SnapshotWriter({ redis, keyPrefix, mirror, logger: createLogger('warn'), everyChanges: 1e9, everyMs: 1e9 });
    const started = performance.now();
    const result = await writer.writeNow();
    const ms = performance.now() - started;
    await writer.close();
    const manifest = await redis.hgetall(redisKeys(keyPrefix).snapshot);
    return { result, ms, chunks: Number(manifest.chunks), bytes: Number(manifest.bytes) };
  } finally {
    await mirror.close();
  }
}

/**
 * Waits until the service (a `revocation-service/src/main.ts` process, which
 * writes the snapshot by itself every 10,000 changes and a minute after the
 * last change at the latest) has written the compact snapshot of what Redis
 * holds now; resolves with how long that took and its size.
 */
export async function serviceSnapshot(
  redis: Redis,
  keyPrefix: string,
): Promise<{ result: string; ms: number; chunks: number; bytes: number }> {
  const keys = redisKeys(keyPrefix);
  const head = Number(await redis.hget(keys.meta, 'offset'));
  const started = performance.now();
  while (Number(await redis.hget(keys.snapshot, 'offset')) !== head) {
    if (performance.now() - started > 180_000) throw new Error('the service wrote no snapshot of the head within 3 minutes');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const manifest = await redis.hgetall(keys.snapshot);
  return {
    result: 'written by the service',
    ms: performance.now() - started,
    chunks: Number(manifest.chunks),
    bytes: Number(manifest.bytes),
  };
}
