/**
 * Target 6: a verifier joining while 1,000,000 revocations are live, until
 * ready; and catching up 10,000 revocations it missed. The million are
 * loaded through POST /v1/revocations/batch (100 calls of 10,000) into a
 * private redis-server. Baselines, same run and same Redis: a plain client
 * scanning the entries (ZSCAN) and reading the missed stream entries
 * (XRANGE), with no processing.
 *
 * Run alone: node --conditions=revocast-source --import tsx bench/join.ts
 */
import { Redis } from 'ioredis';
import { redisKeys } from '@revocast/verifier-sdk/protocol';
import { freePort, startRedisServer } from '../test/support/redis-server.js';
import { uuid } from './support/ids.js';
import { spawnTs, stop } from './support/processes.js';
import { BENCH_ADMIN_SECRET as ADMIN_SECRET } from './support/admin-key.js';
import { report, type Row } from './support/report.js';

const KEY_PREFIX = 'bench';
const BATCH = 10_000;
const LIVE = 1_000_000;
const MISSED = 10_000;

type Reply = {
  readyMs?: number;
  catchUpMs?: number;
  deaf?: boolean;
  entries?: Record<string, number>;
  offset?: number;
  heapAndExternal?: number;
};

function batchBody(n: number): string {
  const now = Math.floor(Date.now() / 1000);
  const items: unknown[] = [];
  for (let i = 0; i < BATCH; i++) {
    // Mostly tokens, with some sessions and subjects as a real list has; expiry spread over the hour.
    const kind = (n * BATCH + i) % 100;
    if (kind === 0) items.push({ type: 'session', sid: uuid() });
    else if (kind === 1) items.push({ type: 'subject', sub: uuid() });
    else items.push({ type: 'token', jti: uuid(), exp: now + 600 + ((i * 7919) % 3000) });
  }
  return JSON.stringify({ items });
}

async function main(): Promise<void> {
  const redis = await startRedisServer();
  // Audit lines at info would be a million; at warn the service does not log its port, so choose it.
  const port = await freePort();
  const service = spawnTs('revocation-service/src/main.ts', {
    REDIS_URL: redis.url,
    PORT: String(port),
    REVOCAST_KEY_PREFIX: KEY_PREFIX,
    REVOCAST_ADMIN_KEYS: `bench:${ADMIN_SECRET}`,
    LOG_LEVEL: 'warn',
  });
  const child = { process: undefined as ReturnType<typeof spawnTs> | undefined };
  try {
    await untilReady(`http://127.0.0.1:${port}/readyz`);
    const post = async (body: string): Promise<{ offsets: { first: number; last: number } }> => {
      const res = await fetch(`http://127.0.0.1:${port}/v1/revocations/batch`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_SECRET}`, 'content-type': 'application/json' },
        body,
      });
      if (res.status !== 201) throw new Error(`batch: HTTP ${res.status} ${await res.text()}`);
      return (await res.json()) as { offsets: { first: number; last: number } };
    };
    const loadStarted = performance.now();
    for (let n = 0; n < LIVE / BATCH; n++) await post(batchBody(n));
    const loadMs = performance.now() - loadStarted;
    console.log(
      `loaded ${LIVE.toLocaleString('en-US')} revocations in ${(loadMs / 1000).toFixed(1)} s through the batch endpoint (${Math.round(LIVE / (loadMs / 1000)).toLocaleString('en-US')}/s)`,
    );

    const keys = redisKeys(KEY_PREFIX);
    const plain = new Redis(redis.url);
    let scanned = 0;
    const scanStarted = performance.now();
    let cursor = '0';
    do {
      const [next, flat] = await plain.zscan(keys.entries, cursor, 'COUNT', 5000);
      cursor = next;
      scanned += flat.length / 2;
    } while (cursor !== '0');
    const scanMs = performance.now() - scanStarted;

    const joiner = spawnTs('bench/support/join-verifier.ts', { REDIS_URL: redis.url, KEY_PREFIX }, true);
    child.process = joiner;
    const replies: Reply[] = [];
    const next = () =>
      new Promise<Reply>((resolve, reject) => {
        const waiting = replies.shift();
        if (waiting !== undefined) return resolve(waiting);
        joiner.once('message', (message: Reply) => resolve(message));
        joiner.once('exit', (code) => reject(new Error(`joining verifier exited with ${code}`)));
      });
    const joined = await next();
    console.log(
      `joined: ready in ${joined.readyMs?.toFixed(0)} ms with ${JSON.stringify(joined.entries)}; process heap + external ${((joined.heapAndExternal ?? 0) / 2 ** 20).toFixed(0)} MiB`,
    );

    joiner.send({ deaf: true });
    await next();
    const { offsets } = await post(batchBody(LIVE / BATCH));
    // The plain read starts where the verifier's does: right before the missed entries.
    const before = await plain.xrevrange(keys.log, '+', '-', 'COUNT', MISSED + 1);
    let streamId = `(${before.at(-1)?.[0] ?? '0-0'}`;
    const streamStarted = performance.now();
    let read = 0;
    for (;;) {
      const rows = await plain.xrange(keys.log, streamId, '+', 'COUNT', 1000);
      read += rows.length;
      if (rows.length < 1000) break;
      streamId = `(${rows.at(-1)?.[0]}`;
    }
    const streamMs = performance.now() - streamStarted;
    plain.disconnect();

    joiner.send({ catchUpTo: offsets.last });
    const caughtUp = await next();
    console.log(
      `caught up ${MISSED.toLocaleString('en-US')} missed revocations in ${caughtUp.catchUpMs?.toFixed(1)} ms (offset ${caughtUp.offset}); plain XRANGE of them: ${streamMs.toFixed(1)} ms (${read} entries)`,
    );
    joiner.send({ stop: true });

    const rows: Row[] = [
      {
        target: 6,
        metric: `join with ${LIVE.toLocaleString('en-US')} live entries until ready`,
        unit: 'ms',
        ours: joined.readyMs as number,
        baselineName: `plain ZSCAN of the ${scanned.toLocaleString('en-US')} entries`,
        baseline: scanMs,
        goal: 'ours <= 5,000 ms',
        met: (joined.readyMs as number) <= 5000,
      },
      {
        target: 6,
        metric: `catch up ${MISSED.toLocaleString('en-US')} missed revocations`,
        unit: 'ms',
        ours: caughtUp.catchUpMs as number,
        baselineName: `plain XRANGE of the ${read.toLocaleString('en-US')} stream entries`,
        baseline: streamMs,
        goal: 'ours <= 200 ms',
        met: (caughtUp.catchUpMs as number) <= 200,
      },
    ];
    report('join', 'Target 6: joining with a million live revocations, catching up', rows, {
      loadMs,
      loadPerSecond: LIVE / (loadMs / 1000),
      joined,
      caughtUp,
    });
  } finally {
    if (child.process !== undefined) await stop(child.process);
    await stop(service);
    await redis.stop();
  }
}

async function untilReady(url: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      if ((await fetch(url)).status === 200) return;
    } catch (err) {
      if (attempt > 300) throw err;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

await main();
