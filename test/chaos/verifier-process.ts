/**
 * A chaos verifier in its own process, so its event loop can be held by
 * synchronous work without holding the harness. It checks every revocation
 * the harness tells it was acknowledged, the way the in-process checker
 * does, and reports accepts, enforcements and its status over IPC.
 *
 * Env: REDIS_URL, KEY_PREFIX, BUDGET_MS, POLL_INTERVAL, COMMAND_TIMEOUT (seconds),
 * LOG_FILE (where its info, warning and error lines go, as JSON).
 */
import { appendFileSync } from 'node:fs';
import { createVerifier, type Logger, type RevocationClaims } from '@revocast/verifier-sdk';
import { SECRET } from '../support/fixtures.js';
import type { FromVerifier, ToVerifier } from './remote-verifier.js';

const budgetMs = Number(process.env.BUDGET_MS);
const logFile = process.env.LOG_FILE as string;
const line = (level: string) => (fields: object, msg: string) =>
  appendFileSync(logFile, `${JSON.stringify({ level, time: Date.now(), ...fields, msg })}\n`);
const logger: Logger = { debug() {}, info: line('info'), warn: line('warn'), error: line('error') };
// Refused checks by the hundred thousand: stack traces would dominate.
Error.stackTraceLimit = 0;

const verifier = createVerifier({
  redis: process.env.REDIS_URL as string,
  keyPrefix: process.env.KEY_PREFIX as string,
  key: SECRET,
  algorithms: ['HS256'],
  maxStaleness: budgetMs / 1000,
  pollInterval: Number(process.env.POLL_INTERVAL),
  commandTimeout: Number(process.env.COMMAND_TIMEOUT),
  logger,
});

interface Tracked {
  readonly claims: RevocationClaims;
  readonly ackAt: number;
  enforced: boolean;
}
const tracked = new Map<string, Tracked>();
const counts = { checks: 0, refusedStale: 0, acceptedWithinBudget: 0, maxServingAgeMs: 0 };
const send = (message: FromVerifier) => process.send?.(message);

function sendStatus(): void {
  const s = verifier.status;
  send({
    type: 'status',
    state: s.state,
    stale: s.stale,
    epoch: s.epoch,
    offset: s.offset,
    lastSyncAt: s.lastSyncAt?.getTime() ?? null,
    counts,
  });
}

function sweep(full: boolean): void {
  const now = Date.now();
  const status = verifier.status;
  if (!status.stale && status.lastSyncAt !== null)
    counts.maxServingAgeMs = Math.max(counts.maxServingAgeMs, now - status.lastSyncAt.getTime());
  for (const [id, r] of tracked) {
    if (!full && r.enforced) continue;
    counts.checks++;
    // Stale for the whole sweep: every check fails closed; counted without the thrown error.
    if (status.stale) {
      counts.refusedStale++;
      continue;
    }
    let revoked: boolean;
    try {
      revoked = verifier.isRevoked(r.claims);
    } catch {
      counts.refusedStale++;
      continue;
    }
    if (revoked) {
      if (!r.enforced) {
        r.enforced = true;
        send({ type: 'enforced', id, at: now });
      }
      continue;
    }
    const afterAckMs = now - r.ackAt;
    if (afterAckMs <= budgetMs) counts.acceptedWithinBudget++;
    else
      send({
        type: 'accepted',
        id,
        at: now,
        afterAckMs,
        verifierAt: `${status.epoch}:${status.offset} ${status.state}, confirmed ${status.lastSyncAt?.toISOString()}`,
      });
  }
}

process.on('message', (message: ToVerifier) => {
  switch (message.type) {
    case 'track':
      tracked.set(message.id, { claims: message.claims, ackAt: message.ackAt, enforced: false });
      return;
    case 'untrack':
      tracked.delete(message.id);
      return;
    case 'stall': {
      // Synchronous work: no timer, socket or IPC message is handled until it ends.
      logger.info({ ms: message.ms }, 'stalling the event loop');
      const until = Date.now() + message.ms;
      while (Date.now() < until);
      logger.info({ status: verifier.status }, 'stall over');
      send({ type: 'stall-ended' });
      return;
    }
    case 'final': {
      const wrong = message.members.filter((m) => {
        try {
          return verifier.isRevoked(m.claims) !== m.revoked;
        } catch {
          return true;
        }
      });
      send({ type: 'final', counts: verifier.status.entries, wrong: wrong.map((m) => m.member) });
      return;
    }
  }
});
process.on('disconnect', () => process.exit(0));

await verifier.ready();
let last = 0;
setInterval(() => {
  const full = Date.now() - last >= 250;
  if (full) last = Date.now();
  sweep(full);
}, 25);
setInterval(sendStatus, 50);
sendStatus();
send({ type: 'ready' });
