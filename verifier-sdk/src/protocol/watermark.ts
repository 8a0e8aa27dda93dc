import { META } from './keys.js';
import { parseOffset } from './message.js';
import type { Head } from './sequence.js';

/**
 * The record watermark. With a durable record (PostgreSQL), the service
 * writes it to Redis every outbox interval, even when idle: "at `at`
 * (Redis's own clock, ms), every change committed to the record had an
 * offset of at most `offset`". The service reads Redis's clock *before* it
 * reads the record's last offset, so the claim holds for everything
 * acknowledged before `at`.
 *
 * Verifiers read it with the head and Redis's clock in one script, so its
 * age is measured on one clock and no skew between hosts matters. A Redis
 * that answers reads but refuses writes (maxmemory with noeviction,
 * min-replicas-to-write without replicas) stops the watermark, so verifiers
 * stop calling themselves current instead of trusting an unchanged head.
 *
 * Stored as `<offset>:<ms>` under {@link RedisKeys.watermark}.
 */
export interface Watermark {
  readonly offset: number;
  /** Redis's clock when the service read the record's offset, in ms. */
  readonly at: number;
}

/** Between the offset and the time in a stored watermark. */
const SEPARATOR = ':';

export function encodeWatermark(watermark: Watermark): string {
  return `${watermark.offset}${SEPARATOR}${watermark.at}`;
}

export function decodeWatermark(raw: string | null | undefined): Watermark | undefined {
  if (typeof raw !== 'string') return undefined;
  const colon = raw.indexOf(SEPARATOR);
  if (colon < 0) return undefined;
  const offset = parseOffset(raw.slice(0, colon));
  const at = parseOffset(raw.slice(colon + 1));
  return offset === undefined || at === undefined ? undefined : { offset, at };
}

/** Redis `TIME` (`[seconds, microseconds]`, as strings) in ms. */
export function redisTimeMs(time: readonly [string | number, string | number]): number {
  return Number(time[0]) * 1000 + Math.floor(Number(time[1]) / 1000);
}

/**
 * The head with what the watermark tells about it, read at Redis time
 * `redisNowMs`. Only a durable head carries it: without a durable record,
 * Redis is the record and needs none.
 */
export function withWatermark(head: Head, watermark: Watermark | undefined, redisNowMs: number): Head {
  if ((head.durable !== true && head.fromReplica !== true) || watermark === undefined) return head;
  return { ...head, watermark: { offset: watermark.offset, ageMs: Math.max(0, redisNowMs - watermark.at) } };
}

/**
 * Reads the meta hash, the watermark and Redis's clock at one instant, on the
 * node that owns the keys (a cluster routes a keyed script there; a keyless
 * `TIME` could land on any node). Read-only, so it runs on a Redis that
 * refuses writes.
 * KEYS: meta, watermark. Returns {epoch, offset, last_id, durable, watermark, time}, nulls where missing.
 */
export const READ_HEAD_SCRIPT = `
local m = redis.call('HMGET', KEYS[1], '${META.epoch}', '${META.offset}', '${META.lastId}', '${META.durable}')
-- A nil would end the reply array early; false arrives as a null.
return {m[1] or false, m[2] or false, m[3] or false, m[4] or false, redis.call('GET', KEYS[2]) or false, redis.call('TIME')}
`;

/**
 * The head watermark, for a Redis that is itself the record (no
 * PostgreSQL): "at this Redis time, every change acknowledged had an offset
 * of at most this one", read and written in one script on the master, where
 * every change is made. Replicas receive it with the changes, so a verifier
 * reading a replica ages what it reads by it (see `confirmation`). Writes
 * nothing on a Redis a durable record owns, where the record's watermark
 * stands (see {@link Watermark}).
 * KEYS: meta, watermark. Returns 1 when written, 0 when a record owns this Redis.
 */
export const WRITE_HEAD_WATERMARK_SCRIPT = `
if redis.call('HGET', KEYS[1], '${META.durable}') == '1' then return 0 end
local offset = redis.call('HGET', KEYS[1], '${META.offset}') or '0'
local t = redis.call('TIME')
redis.call('SET', KEYS[2], offset .. '${SEPARATOR}' .. string.format('%.0f', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)))
return 1
`;

/**
 * Redis's clock, read on the node that owns KEYS[1]. Returns `TIME`.
 */
export const READ_TIME_SCRIPT = `return redis.call('TIME')`;
