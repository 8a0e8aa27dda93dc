import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Head, Position } from '@revocast/verifier-sdk/protocol';
import { confirmation } from '../../../verifier-sdk/src/sync/confirmation.js';

const EPOCH = 'aaaaaaaaaaaaaaaa';
const at = (offset: number, epoch: string | null = EPOCH): Position => ({ epoch, offset, streamId: `1-${offset}` });
const head = (offset: number, extra: Partial<Head> = {}): Head => ({ epoch: EPOCH, offset, streamId: `1-${offset}`, ...extra });
const ISSUED = 1_000_000;

describe('confirmation: what a head read proves about a list', () => {
  it('dates a list that has reached the head by when the read was sent, not when it was answered', () => {
    expect(confirmation(at(5), head(5), ISSUED)).toEqual({ at: ISSUED });
    expect(confirmation(at(7), head(5), ISSUED)).toEqual({ at: ISSUED });
  });

  it('confirms nothing while the list is below the head or on another epoch', () => {
    expect(confirmation(at(4), head(5), ISSUED)).toEqual({ unconfirmed: 'behind-head' });
    expect(confirmation(at(5, 'bbbbbbbbbbbbbbbb'), head(5), ISSUED)).toEqual({ unconfirmed: 'behind-head' });
  });

  it('confirms an empty Redis for a verifier that knows no history', () => {
    expect(confirmation(at(0, null), { epoch: null, offset: 0, streamId: '0-0' }, ISSUED)).toEqual({ at: ISSUED });
  });

  it('dates a durable head by the age of the record watermark', () => {
    expect(confirmation(at(5), head(5, { durable: true, watermark: { offset: 5, ageMs: 800 } }), ISSUED)).toEqual({ at: ISSUED - 800 });
    // A negative age (clock step on Redis) never dates the list after the read.
    expect(confirmation(at(5), head(5, { durable: true, watermark: { offset: 3, ageMs: -50 } }), ISSUED)).toEqual({ at: ISSUED });
  });

  it('confirms nothing when the record holds changes the list has not applied, whatever the head says', () => {
    expect(confirmation(at(5), head(5, { durable: true, watermark: { offset: 6, ageMs: 0 } }), ISSUED)).toEqual({
      unconfirmed: 'behind-record',
    });
  });

  it('never trusts a durable head without a watermark: nothing says Redis has what the record acknowledged', () => {
    expect(confirmation(at(5), head(5, { durable: true }), ISSUED)).toEqual({ unconfirmed: 'no-watermark' });
  });

  it("never trusts a head read on a replica without the master's watermark, and ages it by the watermark", () => {
    expect(confirmation(at(5), head(5, { fromReplica: true }), ISSUED)).toEqual({ unconfirmed: 'no-watermark' });
    expect(confirmation(at(5), head(5, { fromReplica: true, watermark: { offset: 5, ageMs: 300 } }), ISSUED)).toEqual({ at: ISSUED - 300 });
    // The master had acknowledged more than the replica holds.
    expect(confirmation(at(5), head(5, { fromReplica: true, watermark: { offset: 9, ageMs: 0 } }), ISSUED)).toEqual({
      unconfirmed: 'behind-record',
    });
  });

  it('ignores a watermark on a head that is not durable (Redis is the record)', () => {
    expect(confirmation(at(5), head(5, { watermark: { offset: 9, ageMs: 60_000 } }), ISSUED)).toEqual({ at: ISSUED });
  });

  it('never dates a list later than the read was sent, and never confirms one behind the head or the record', () => {
    const watermark = fc.option(fc.record({ offset: fc.nat(100), ageMs: fc.integer({ min: -1000, max: 100_000 }) }), { nil: undefined });
    fc.assert(
      fc.property(
        fc.nat(100),
        fc.nat(100),
        fc.boolean(),
        watermark,
        fc.integer({ min: 0, max: 2 ** 40 }),
        (position, offset, durable, mark, issuedAt) => {
          const h = head(offset, { ...(durable ? { durable: true } : {}), ...(mark === undefined ? {} : { watermark: mark }) });
          const result = confirmation(at(position), h, issuedAt);
          if (!('at' in result)) return;
          expect(result.at).toBeLessThanOrEqual(issuedAt);
          expect(position).toBeGreaterThanOrEqual(offset);
          // A durable head confirms only with a watermark the list has reached, dated by its age.
          if (durable) {
            expect(mark).toBeDefined();
            if (mark === undefined) return;
            expect(position).toBeGreaterThanOrEqual(mark.offset);
            expect(result.at).toBeLessThanOrEqual(issuedAt - mark.ageMs);
          }
        },
      ),
    );
  });
});
