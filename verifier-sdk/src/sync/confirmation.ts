import type { Head, Position } from '../protocol/index.js';

/**
 * Why a head read confirmed nothing: the list has not reached the head yet,
 * the record holds changes Redis has not got (its watermark is ahead), or a
 * durable head carries no watermark.
 */
export type Unconfirmed = 'behind-head' | 'behind-record' | 'no-watermark';

export type Confirmation = { readonly at: number } | { readonly unconfirmed: Unconfirmed };

/**
 * The one rule that dates a verifier's currency. A list is current up to a
 * moment only when evidence covers everything up to that moment:
 *
 * - a head read covers what was in Redis when Redis answered it, which is
 *   after `issuedAt` (the verifier's clock just before sending it), so it
 *   dates the list at `issuedAt`, and only once the list has reached that
 *   head. Applying a pub/sub message never dates anything: older messages
 *   may still sit unread in the socket (after an event-loop stall);
 * - with a durable record, Redis itself may be behind the record (it refuses
 *   writes the outbox sends). The record watermark says up to which offset
 *   the record was covered, and how long ago on Redis's clock: the evidence
 *   is as old as the watermark, and a watermark ahead of the list means it is
 *   behind, whatever the head says;
 * - a durable head with no watermark is no evidence: nothing says Redis has
 *   what the record acknowledged (the service has not written one yet, Redis
 *   lost it, or it refuses the write), so it confirms nothing until a
 *   service writes one;
 * - a head read on a replica says what that replica holds, which may lag
 *   the master by any amount: it needs a watermark too (written on the
 *   master by the service in either mode, and replicated), and is aged by
 *   it, so a lagging or cut-off replica turns its verifiers stale.
 *
 * Callers keep the latest `at` (confirmation never goes backwards).
 */
export function confirmation(position: Position, head: Head, issuedAt: number): Confirmation {
  if (head.epoch !== position.epoch || position.offset < head.offset) return { unconfirmed: 'behind-head' };
  if (head.durable !== true && head.fromReplica !== true) return { at: issuedAt };
  const watermark = head.watermark;
  if (watermark === undefined) return { unconfirmed: 'no-watermark' };
  if (watermark.offset > position.offset) return { unconfirmed: 'behind-record' };
  return { at: issuedAt - Math.max(0, watermark.ageMs) };
}
