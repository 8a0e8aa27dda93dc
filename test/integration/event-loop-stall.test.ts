import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { startService, uniquePrefix, waitFor, type ServiceHandle } from '../support/fixtures.js';
import type { StallReport } from '../support/stall-verifier.js';

const redisUrl = inject('redisUrl');
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAX_STALENESS_S = 1;
/** 20 batches of 1,000 revocations with 200-character ids: about 6 MB on the channel. */
const BATCHES = 20;
const BATCH = 1_000;

function message<T>(child: ChildProcess, type: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${type} message within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (m: { type?: string }) => {
      if (m.type !== type) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(m as T);
    };
    child.on('message', onMessage);
    child.once('exit', (code) => reject(new Error(`verifier process exited with ${code}`)));
  });
}

describe('a verifier whose event loop was held past its staleness budget', () => {
  let child: ChildProcess | undefined;
  let service: ServiceHandle | undefined;
  let dir: string | undefined;

  afterEach(async () => {
    if (child !== undefined && child.exitCode === null) {
      const exited = new Promise((resolve) => child?.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    await service?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('rejects every token revoked during the stall, from the first check after it, until it has read everything', async () => {
    const keyPrefix = uniquePrefix();
    service = await startService({ redisUrl, keyPrefix });
    dir = mkdtempSync(join(tmpdir(), 'revocast-stall-'));
    child = fork(join(ROOT, 'test/support/stall-verifier.ts'), [], {
      cwd: ROOT,
      execArgv: ['--conditions=revocast-source', '--import', 'tsx'],
      env: {
        ...process.env,
        REDIS_URL: redisUrl,
        KEY_PREFIX: keyPrefix,
        MAX_STALENESS: String(MAX_STALENESS_S),
        POLL_INTERVAL: '0.1',
        STALL_DIR: dir,
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    await message(child, 'ready', 30_000);

    // Long ids make a backlog of several megabytes, more than one pass of the event loop reads.
    const pad = 'x'.repeat(200);
    const ids = (batch: string) => Array.from({ length: BATCH }, (_, i) => `${batch}-${i}-${pad}`);
    const batches = Array.from({ length: BATCHES }, (_, i) => ids(`b${i}`));
    const report = message<StallReport>(child, 'report', 180_000);
    // Awaited below; a failure before then must not surface as an unhandled rejection.
    report.catch(() => {});
    child.send({ type: 'stall', probes: batches.flat() });
    const stalled = join(dir, 'stalled');
    await waitFor(() => existsSync(stalled), 10_000, 10);
    const stalledAt = Date.now();

    // Acknowledged by the service (in Redis, published) while the verifier cannot read.
    const exp = Math.floor(Date.now() / 1000) + 3600;
    for (const batch of batches) {
      const res = await service.admin('/v1/revocations/batch', { body: { items: batch.map((jti) => ({ type: 'token', jti, exp })) } });
      expect(res.status).toBe(201);
    }
    // Held for longer than the budget, counted from when the last revocation was acknowledged too.
    const releaseAt = Math.max(stalledAt + 2.5 * MAX_STALENESS_S * 1000, Date.now() + 1.5 * MAX_STALENESS_S * 1000);
    await new Promise((resolve) => setTimeout(resolve, releaseAt - Date.now()));
    writeFileSync(join(dir, 'release'), '');

    const { first, total, settled, rounds, stalledMs } = await report;
    expect(stalledMs).toBeGreaterThan(MAX_STALENESS_S * 1000);
    expect(first).toEqual({ revoked: 0, stale: BATCHES * BATCH, accepted: 0 });
    expect({ accepted: total.accepted, settled }).toEqual({ accepted: 0, settled: true });
    // It did go through a stale phase and then reached the head: many rounds, all of them fail closed or revoked.
    expect(rounds).toBeGreaterThan(1);
    // The last round saw every token revoked by a current list.
    expect(total.revoked).toBeGreaterThanOrEqual(BATCHES * BATCH);
  }, 240_000);
});
