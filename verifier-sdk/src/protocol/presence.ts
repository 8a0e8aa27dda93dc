import { isInteger } from './integer.js';
import { isEpoch, parseOffset } from './message.js';

/**
 * What a verifier says about itself on every heartbeat. The service lists
 * these to show which verifiers are live and how far behind each one is.
 * Times are epoch milliseconds.
 */
export interface VerifierReport {
  readonly id: string;
  readonly host: string;
  readonly sdkVersion: string;
  /** The verifier's sync state: `starting`, `ready`, `stale` or `closed`. */
  readonly state: string;
  /** The history it follows; `null` while it knows none. */
  readonly epoch: string | null;
  /** Offset of the last change it applied. */
  readonly offset: number;
  /** Stream id of that change, so the service can date the first change it has not applied. */
  readonly streamId: string;
  /** Last time its list was confirmed current; `null` before the first load. */
  readonly lastSyncAt: number | null;
  readonly startedAt: number;
  readonly reportedAt: number;
  /** Milliseconds between heartbeats. */
  readonly heartbeatMs: number;
}

/** A verifier's acknowledgement that it has applied the history up to `offset` of `epoch`. */
export interface Ack {
  readonly epoch: string;
  readonly offset: number;
  readonly id: string;
}

/** The presence side of a {@link SyncSource}: how a verifier reports itself and answers acknowledgement requests. */
export interface PresenceChannel {
  /** Writes the report; it expires after `ttlMs` unless written again. */
  announce(report: VerifierReport, ttlMs: number): Promise<void>;
  /** Removes the report at once (a clean shutdown). */
  withdraw(id: string): Promise<void>;
  /** Calls `onRequest` whenever the service asks for acknowledgement of a change; resolves once listening. */
  onAckRequest(onRequest: (epoch: string, offset: number) => void): Promise<void>;
  acknowledge(ack: Ack): Promise<void>;
}

const VERIFIER_ID = /^[A-Za-z0-9_.:@-]{1,128}$/;

/** Verifier ids: 1 to 128 letters, digits, `_ . : @ -`. */
export function isVerifierId(value: unknown): value is string {
  return typeof value === 'string' && VERIFIER_ID.test(value);
}

export function encodeReport(report: VerifierReport): string {
  return JSON.stringify(report);
}

/** Parses a report; `undefined` when anything about it is off. */
export function decodeReport(json: string): VerifierReport | undefined {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const r = value as Record<string, unknown>;
  const strings = [r.host, r.sdkVersion, r.state, r.streamId].every((v) => typeof v === 'string' && v.length <= 256);
  if (!isVerifierId(r.id) || !strings || !(r.epoch === null || isEpoch(r.epoch))) return undefined;
  if (!isInteger(r.offset) || !isInteger(r.startedAt) || !isInteger(r.reportedAt) || !isInteger(r.heartbeatMs)) return undefined;
  if (!(r.lastSyncAt === null || isInteger(r.lastSyncAt))) return undefined;
  return r as unknown as VerifierReport;
}

export function encodeAckRequest(epoch: string, offset: number): string {
  return `${epoch}:${offset}`;
}

export function decodeAckRequest(raw: string): { epoch: string; offset: number } | undefined {
  const colon = raw.indexOf(':');
  const epoch = raw.slice(0, colon);
  const offset = parseOffset(raw.slice(colon + 1));
  return colon > 0 && isEpoch(epoch) && offset !== undefined ? { epoch, offset } : undefined;
}

export function encodeAck(ack: Ack): string {
  return `${ack.epoch}:${ack.offset}:${ack.id}`;
}

/** The id comes last, so it may itself contain colons. */
export function decodeAck(raw: string): Ack | undefined {
  const first = raw.indexOf(':');
  const second = raw.indexOf(':', first + 1);
  if (first < 0 || second < 0) return undefined;
  const request = decodeAckRequest(raw.slice(0, second));
  const id = raw.slice(second + 1);
  return request !== undefined && isVerifierId(id) ? { ...request, id } : undefined;
}
