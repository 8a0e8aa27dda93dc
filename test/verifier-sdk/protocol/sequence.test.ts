import { describe, expect, it } from 'vitest';
import { START_POSITION, compareHead, nextStep } from '@revocast/verifier-sdk/protocol';

const at = (epoch: string | null, offset: number) => ({ epoch, offset, streamId: `0-${offset}` });
const msg = (epoch: string, offset: number) => ({ epoch, offset });

describe('offset and epoch rules', () => {
  it('applies the next offset, drops old ones, reports jumps', () => {
    expect(nextStep(at('e1', 5), msg('e1', 6))).toBe('apply');
    expect(nextStep(at('e1', 5), msg('e1', 5))).toBe('duplicate');
    expect(nextStep(at('e1', 5), msg('e1', 2))).toBe('duplicate');
    expect(nextStep(at('e1', 5), msg('e1', 8))).toBe('gap');
  });

  it('resets on another epoch, even with a higher offset', () => {
    expect(nextStep(at('e1', 5), msg('e2', 6))).toBe('reset');
    expect(nextStep(at('e1', 5), msg('e2', 1))).toBe('reset');
  });

  it('adopts a history that starts while it knows none, only from offset 1', () => {
    expect(nextStep(START_POSITION, msg('e1', 1))).toBe('apply');
    expect(nextStep(START_POSITION, msg('e1', 2))).toBe('reset');
  });

  it('compares the head: current, behind, or reset when data was lost', () => {
    expect(compareHead(at('e1', 5), at('e1', 5))).toBe('current');
    expect(compareHead(at('e1', 5), at('e1', 9))).toBe('behind');
    expect(compareHead(at('e1', 5), at('e1', 3))).toBe('reset');
    // Redis emptied: nothing to reload from yet, so the list is kept until a new history appears.
    expect(compareHead(at('e1', 5), at(null, 0))).toBe('lost');
    expect(compareHead(at('e1', 5), at('e2', 5))).toBe('reset');
    expect(compareHead(START_POSITION, at(null, 0))).toBe('current');
    // A history that began after we looked: read it from its start.
    expect(compareHead(START_POSITION, at('e1', 3))).toBe('behind');
  });

  it('never follows a durable history back to a lower offset, in any epoch', () => {
    const durable = (epoch: string, offset: number) => ({ ...at(epoch, offset), durable: true });
    // A promoted replica that missed writes, or that still carries an earlier epoch.
    expect(compareHead(at('e2', 50), durable('e2', 40))).toBe('lost');
    expect(compareHead(at('e2', 50), durable('e1', 30))).toBe('lost');
    // The service's re-seed starts at the record's offset: at or above what we saw.
    expect(compareHead(at('e2', 50), durable('e3', 50))).toBe('reset');
    expect(compareHead(at('e2', 50), durable('e2', 55))).toBe('behind');
    // Without a durable record a new epoch restarts its offsets, and is followed.
    expect(compareHead(at('e2', 50), at('e3', 1))).toBe('reset');
  });
});
