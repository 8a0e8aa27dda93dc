import { describe, expect, inject, it } from 'vitest';
import { DeadlineExceeded, withDeadline } from '../../../verifier-sdk/src/sync/deadline.js';
import { RedisSource } from '../../../verifier-sdk/src/sync/redis-source.js';
import { uniquePrefix } from '../../support/fixtures.js';
import { startRedisServer } from '../../support/redis-server.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const redisUrl = inject('redisUrl');

/** Holds the event loop, as a long synchronous task or a GC pause would. */
function holdEventLoop(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

describe('a command deadline measured against the answer, not the event loop', () => {
  it('rejects work that does not settle in time, naming what was late', async () => {
    const never = new Promise<never>(() => {});
    const err = await withDeadline(never, 20, 'the head read').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeadlineExceeded);
    expect((err as Error).message).toBe('the head read was not answered within 20 ms');
  });

  it('passes on the value or the failure of work that settles in time', async () => {
    await expect(withDeadline(Promise.resolve(7), 1000, 'x')).resolves.toBe(7);
    await expect(withDeadline(Promise.reject(new Error('refused')), 1000, 'x')).rejects.toThrow('refused');
  });

  it('takes a head read Redis answered while the event loop was held past the deadline', async () => {
    const source = new RedisSource({ redis: redisUrl, keyPrefix: uniquePrefix(), commandTimeoutMs: 50, logger: quiet });
    try {
      await source.head(); // connected
      for (let round = 0; round < 5; round++) {
        const read = source.head();
        // Redis answers within a millisecond; this process reads the answer only after 300 ms, when the 50 ms timer has long expired.
        holdEventLoop(300);
        await expect(read).resolves.toMatchObject({ epoch: null, offset: 0 });
      }
    } finally {
      await source.close();
    }
  });

  it('still fails a read that Redis does not answer', async () => {
    const server = await startRedisServer();
    const source = new RedisSource({ redis: server.url, keyPrefix: uniquePrefix(), commandTimeoutMs: 100, logger: quiet });
    try {
      await source.head();
      server.pause();
      const started = performance.now();
      await expect(source.head()).rejects.toBeInstanceOf(DeadlineExceeded);
      expect(performance.now() - started).toBeLessThan(5000);
    } finally {
      server.resume();
      await source.close();
      await server.stop();
    }
  });
});
