import { afterEach, describe, expect, it, vi } from 'vitest';
import { WriteCoalescer, type WriteOutcome } from '../../../revocation-service/src/store/write-coalescer.js';

/**
 * The queue in front of the Redis writer: idle calls go at once, calls made
 * while a write is in flight go out together when it returns, bounded in
 * changes and in waiting, each with its own outcome, in the order made.
 */

interface Write {
  readonly groups: readonly string[];
  answer(outcomes?: ReadonlyArray<WriteOutcome<string>>): void;
  fail(error: Error): void;
}

/** A writer whose writes stay in flight until the test answers them. */
function controlledWriter(): { writes: Write[]; run: (groups: readonly string[]) => Promise<ReadonlyArray<WriteOutcome<string>>> } {
  const writes: Write[] = [];
  return {
    writes,
    run: (groups) =>
      new Promise((resolve, reject) => {
        writes.push({
          groups,
          answer: (outcomes) => resolve(outcomes ?? groups.map((group) => ({ ok: true, value: `done ${group}` }))),
          fail: reject,
        });
      }),
  };
}

/** Groups are named `<name>` or `<name>*<size>`. */
const sizeOf = (group: string) => Number(group.split('*')[1] ?? 1);
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

afterEach(() => {
  vi.useRealTimers();
});

describe('coalescing writes', () => {
  it('sends a call made while nothing is in flight at once, alone', async () => {
    const { writes, run } = controlledWriter();
    const coalescer = new WriteCoalescer(run, sizeOf, { maxItems: 100, maxWaitMs: 60_000 });
    const answer = coalescer.submit('a');
    await Promise.resolve();
    // Sent within the same turn: no timer stood between the call and the write.
    expect(writes.map((w) => w.groups)).toEqual([['a']]);
    writes[0]?.answer();
    expect(await answer).toBe('done a');
  });

  it('sends calls made in the same turn as one write', async () => {
    const { writes, run } = controlledWriter();
    const coalescer = new WriteCoalescer(run, sizeOf, { maxItems: 100, maxWaitMs: 60_000 });
    const answers = ['a', 'b', 'c'].map((group) => coalescer.submit(group));
    await turn();
    expect(writes.map((w) => w.groups)).toEqual([['a', 'b', 'c']]);
    writes[0]?.answer();
    expect(await Promise.all(answers)).toEqual(['done a', 'done b', 'done c']);
  });

  it('queues the calls made while a write is in flight and sends them together, in order, when it returns', async () => {
    const { writes, run } = controlledWriter();
    const coalescer = new WriteCoalescer(run, sizeOf, { maxItems: 100, maxWaitMs: 60_000 });
    const first = coalescer.submit('a');
    await turn();
    const later = ['b', 'c', 'd'].map((group) => coalescer.submit(group));
    await turn();
    expect(writes).toHaveLength(1);
    writes[0]?.answer();
    expect(await first).toBe('done a');
    await turn();
    expect(writes.map((w) => w.groups)).toEqual([['a'], ['b', 'c', 'd']]);
    writes[1]?.answer([
      { ok: true, value: 'b is 2' },
      { ok: true, value: 'c is 3' },
      { ok: true, value: 'd is 4' },
    ]);
    expect(await Promise.all(later)).toEqual(['b is 2', 'c is 3', 'd is 4']);
  });

  it('fails only the call whose own outcome is an error', async () => {
    const { writes, run } = controlledWriter();
    const coalescer = new WriteCoalescer(run, sizeOf, { maxItems: 100, maxWaitMs: 60_000 });
    const answers = ['a', 'bad', 'c'].map((group) => coalescer.submit(group));
    await turn();
    const refusal = new Error('items.0.jti is refused');
    writes[0]?.answer([
      { ok: true, value: 'a' },
      { ok: false, error: refusal },
      { ok: true, value: 'c' },
    ]);
    const settled = await Promise.allSettled(answers);
    expect(settled).toEqual([
      { status: 'fulfilled', value: 'a' },
      { status: 'rejected', reason: refusal },
      { status: 'fulfilled', value: 'c' },
    ]);
  });

  it('fails every call a write carried when the write fails, and goes on with the next', async () => {
    const { writes, run } = controlledWriter();
    const coalescer = new WriteCoalescer(run, sizeOf, { maxItems: 100, maxWaitMs: 60_000 });
    const carried = ['a', 'b'].map((group) => coalescer.submit(group));
    await turn();
    const outage = new Error('redis: connection lost');
    writes[0]?.fail(outage);
    for (const result of await Promise.allSettled(carried)) expect(result).toEqual({ status: 'rejected', reason: outage });
    const next = coalescer.submit('c');
    await turn();
    writes[1]?.answer();
    expect(await next).toBe('done c');
  });

  it('puts at most maxItems changes in one write, never splits a call, and sends a larger call alone', async () => {
    const { writes, run } = controlledWriter();
    const coalescer = new WriteCoalescer(run, sizeOf, { maxItems: 10, maxWaitMs: 60_000 });
    const answers = ['a*4', 'b*4', 'c*4', 'big*25', 'd*1'].map((group) => coalescer.submit(group));
    await turn();
    // While a full write is queued, writes go out without waiting for the one in flight; the rest waits for one to return.
    expect(writes.map((w) => w.groups)).toEqual([['a*4', 'b*4'], ['c*4'], ['big*25']]);
    for (const write of writes) write.answer();
    await turn();
    expect(writes.map((w) => w.groups).at(-1)).toEqual(['d*1']);
    writes.at(-1)?.answer();
    expect(await Promise.all(answers)).toEqual(['done a*4', 'done b*4', 'done c*4', 'done big*25', 'done d*1']);
  });

  it('waits for the write in flight no longer than maxWaitMs', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { writes, run } = controlledWriter();
    const coalescer = new WriteCoalescer(run, sizeOf, { maxItems: 100, maxWaitMs: 5 });
    void coalescer.submit('stuck');
    await Promise.resolve();
    const queued = coalescer.submit('b');
    await vi.advanceTimersByTimeAsync(4);
    expect(writes).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    // The first write never returned; the queued call went out anyway, behind it on the connection.
    expect(writes.map((w) => w.groups)).toEqual([['stuck'], ['b']]);
    writes[1]?.answer();
    expect(await queued).toBe('done b');
  });

  it('refuses bounds that are not numbers it can use', () => {
    const { run } = controlledWriter();
    expect(() => new WriteCoalescer(run, sizeOf, { maxItems: 0 })).toThrow(/maxItems/);
    expect(() => new WriteCoalescer(run, sizeOf, { maxItems: 1.5 })).toThrow(/maxItems/);
    expect(() => new WriteCoalescer(run, sizeOf, { maxWaitMs: -1 })).toThrow(/maxWaitMs/);
    expect(() => new WriteCoalescer(run, sizeOf, { maxWaitMs: Number.NaN })).toThrow(/maxWaitMs/);
  });
});
