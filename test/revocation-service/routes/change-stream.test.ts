import { spawn } from 'node:child_process';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { changeEventId, isNewerThan, parseChangeEventId, streamIdAfter } from '../../../revocation-service/src/routes/change-event-id.js';
import { ADMIN_SECRET, memoryStore, startService, uniquePrefix, waitFor, type ServiceHandle } from '../../support/fixtures.js';

interface Seen {
  readonly events: Array<{ id?: string; data: Record<string, unknown> }>;
  readonly ended: Promise<void>;
  stop(): void;
}

/** Reads the change stream in the background, collecting `change` events. */
async function watch(url: string, headers: Record<string, string> = {}): Promise<Seen> {
  const controller = new AbortController();
  const res = await fetch(`${url}/v1/changes/stream`, {
    headers: { authorization: `Bearer ${ADMIN_SECRET}`, ...headers },
    signal: controller.signal,
  });
  expect(res.status).toBe(200);
  const events: Seen['events'] = [];
  const ended = (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (!block.includes('event: change')) continue;
          const id = /^id: (.+)$/m.exec(block)?.[1];
          events.push({
            ...(id === undefined ? {} : { id }),
            data: JSON.parse(/^data: (.+)$/m.exec(block)?.[1] as string) as Record<string, unknown>,
          });
        }
      }
    } catch {
      // aborted by stop()
    }
  })();
  return { events, ended, stop: () => controller.abort() };
}

const streamId = fc
  .tuple(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }))
  .map(([ms, seq]) => ({ ms, seq, id: `${ms}-${seq}` }));

describe('change event ids', () => {
  it('round-trip through Last-Event-ID, and nothing else parses', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[0-9a-f]{16,64}$/),
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        streamId,
        (epoch, offset, s) => {
          expect(parseChangeEventId(changeEventId({ epoch, offset, streamId: s.id }))).toEqual({ epoch, offset, streamId: s.id });
        },
      ),
    );
    for (const bad of ['', '42', 'abc:1:1-0', `${'a'.repeat(16)}:x:1-0`, `${'a'.repeat(16)}:1:1`, `${'a'.repeat(16)}:1:1-0:extra`])
      expect(parseChangeEventId(bad), bad).toBeUndefined();
  });

  it('order stream ids as Redis does, beyond 2^53', () => {
    fc.assert(
      fc.property(streamId, streamId, (a, b) => {
        const after = a.ms === b.ms ? a.seq > b.seq : a.ms > b.ms;
        expect(streamIdAfter(a.id, b.id)).toBe(after);
      }),
    );
  });

  it('skip a live change the replay already sent, but never one of another epoch', () => {
    const last = { epoch: 'a'.repeat(16), offset: 5, streamId: '100-1' };
    expect(isNewerThan({ epoch: last.epoch, streamId: '100-1' }, last)).toBe(false);
    expect(isNewerThan({ epoch: last.epoch, streamId: '99-7' }, last)).toBe(false);
    expect(isNewerThan({ epoch: last.epoch, streamId: '100-2' }, last)).toBe(true);
    expect(isNewerThan({ epoch: 'b'.repeat(16), streamId: '1-0' }, last)).toBe(true);
  });
});

describe.each([
  ['Redis', () => ({ redisUrl: inject('redisUrl'), keyPrefix: uniquePrefix() })],
  ['the in-memory store', () => ({ store: memoryStore() })],
])('the change stream on %s', (_name, options) => {
  let service: ServiceHandle;
  beforeAll(async () => {
    service = await startService(options());
  });
  afterAll(() => service.close());

  it('replays every change after Last-Event-ID, in order and once, then goes on live', async () => {
    const first = await watch(service.url);
    const subs = ['resume-a', 'resume-b', 'resume-c', 'resume-d'];
    for (const sub of subs.slice(0, 2)) await service.admin('/v1/revocations', { body: { type: 'subject', sub } });
    await waitFor(() => first.events.length >= 2, 10_000, 10);
    first.stop();
    await first.ended;
    const lastSeen = first.events[0]?.id as string;
    expect(parseChangeEventId(lastSeen)).toBeDefined();
    // Made while nobody listens.
    for (const sub of subs.slice(2)) await service.admin('/v1/revocations', { body: { type: 'subject', sub } });

    const resumed = await watch(service.url, { 'last-event-id': lastSeen });
    await waitFor(() => resumed.events.length >= 3, 10_000, 10);
    await service.admin('/v1/revocations', { body: { type: 'subject', sub: 'resume-e' } });
    await waitFor(() => resumed.events.length >= 4, 10_000, 10);
    resumed.stop();
    expect(resumed.events.map((e) => e.data.id)).toEqual(['resume-b', 'resume-c', 'resume-d', 'resume-e']);
    const offsets = resumed.events.map((e) => e.data.offset as number);
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
  });

  it('sends each change of a batch live, one event per change with its own id, like the replay', async () => {
    const live = await watch(service.url);
    // A change first, so the stream is known to be live before the batch is made.
    await service.admin('/v1/revocations', { body: { type: 'subject', sub: 'batch-before' } });
    await waitFor(() => live.events.length >= 1, 10_000, 10);
    const subs = ['batch-a', 'batch-b', 'batch-c'];
    expect((await service.admin('/v1/revocations/batch', { body: { items: subs.map((sub) => ({ type: 'subject', sub })) } })).status).toBe(
      201,
    );
    await waitFor(() => live.events.length >= 4, 10_000, 10);
    const replayed = await watch(service.url, { 'last-event-id': live.events[0]?.id as string });
    await waitFor(() => replayed.events.length >= 3, 10_000, 10);
    live.stop();
    replayed.stop();
    expect(live.events.slice(1).map((e) => e.data.id)).toEqual(subs);
    expect(live.events.slice(1).map((e) => e.id)).toEqual(replayed.events.map((e) => e.id));
  });

  it('answers 400 naming Last-Event-ID when it is not an id the stream sent', async () => {
    const res = await service.admin('/v1/changes/stream', { headers: { 'last-event-id': 'not-an-id' } });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    const problem = (await res.json()) as { code: string; detail: string };
    expect(problem.code).toBe('ERR_VALIDATION');
    expect(problem.detail).toContain('Last-Event-ID');
  });
});

describe('shutdown with a change stream open', () => {
  it('ends the stream at once on SIGTERM instead of waiting out the 10 s grace period', async () => {
    const child = spawn(process.execPath, ['--conditions=revocast-source', '--import', 'tsx', 'revocation-service/src/main.ts'], {
      env: {
        ...process.env,
        REDIS_URL: inject('redisUrl'),
        REVOCAST_KEY_PREFIX: uniquePrefix(),
        PORT: '0',
        REVOCAST_ADMIN_KEYS: `ops:${ADMIN_SECRET}`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await waitFor(() => /"port":\d+/.test(output), 30_000, 20);
    const url = `http://127.0.0.1:${/"port":(\d+)/.exec(output)?.[1] as string}`;
    const stream = await watch(url);
    let streamEndedAt = 0;
    void stream.ended.then(() => (streamEndedAt = performance.now()));
    const signalledAt = performance.now();
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const exitMs = performance.now() - signalledAt;
    await stream.ended;
    expect(streamEndedAt).toBeGreaterThan(0);
    // The grace period is 10 s; with the stream held open, exit took all of it.
    expect(exitMs).toBeLessThan(5000);
    expect(output).toContain('"msg":"stopped"');
  }, 60_000);
});
