/**
 * Redis key and channel names. Every key carries the same hash tag, so one
 * Lua script can touch all of them on Redis Cluster too.
 */
export interface RedisKeys {
  /** Hash: `epoch`, `offset`, `last_id`, `durable` and live counts per type. */
  readonly meta: string;
  /** Sorted set of members (`jti:…`, `sub:…`, `sid:…`) scored by prune time in ms. */
  readonly entries: string;
  /** Hash: subject id -> cutoff in epoch ms. */
  readonly cutoffs: string;
  /** Hash: member -> the service's full record (JSON). Verifiers never read it. */
  readonly details: string;
  /** Stream of every change, trimmed by age. */
  readonly log: string;
  /** Pub/sub channel carrying every change as it is made. */
  readonly channel: string;
  /** Sorted set of `<sub>\0<member>`, for listing the revocations of one user. */
  readonly bySub: string;
  /** Sorted set of verifier ids scored by when their report expires (ms); an index, the report keys are the truth. */
  readonly verifiers: string;
  /** The key of one verifier's report (JSON), set with an expiry on every heartbeat. */
  readonly verifier: (id: string) => string;
  /** Pub/sub channel where the service asks verifiers to acknowledge a change (`<epoch>:<offset>`). */
  readonly ackRequests: string;
  /** Pub/sub channel where verifiers acknowledge (`<epoch>:<offset>:<verifier id>`). */
  readonly acks: string;
  /** String: the record watermark `<offset>:<ms>` a durable record refreshes (see `Watermark`). */
  readonly watermark: string;
  /** Hash: the manifest of the compact snapshot (see `SnapshotManifest`); absent until a service writes one. */
  readonly snapshot: string;
  /** String: chunk `index` (from 0) of the snapshot named `id`: `<snapshotChunkPrefix><id>:<index>`; expires some minutes after it is replaced. */
  readonly snapshotChunk: (id: string, index: number) => string;
  /** What every snapshot chunk key starts with (for scripts that name chunks themselves). */
  readonly snapshotChunkPrefix: string;
  /** Hash: one admin key's request budget (token bucket), shared by every service replica. Expires once full. */
  readonly rateLimit: (keyName: string) => string;
  /** Hash: one client address's budget of failed admin authentications, shared by every replica. Expires once full. */
  readonly authFailures: (client: string) => string;
  /** Hash: one console session, named by the SHA-256 of its id (hex); expires with the session. Verifiers never read it. */
  readonly consoleSession: (idHash: string) => string;
}

export const DEFAULT_KEY_PREFIX = 'revocast';

const PREFIX_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

/** Why a key prefix is unusable, or `undefined` when it is fine. */
export function keyPrefixProblem(prefix: string): string | undefined {
  return PREFIX_PATTERN.test(prefix) ? undefined : 'must be 1 to 64 characters of letters, digits, "_", ".", ":" or "-"';
}

export function redisKeys(prefix: string = DEFAULT_KEY_PREFIX): RedisKeys {
  const problem = keyPrefixProblem(prefix);
  if (problem !== undefined) throw new TypeError(`key prefix ${JSON.stringify(prefix)} ${problem}`);
  const tag = `{${prefix}}`;
  return {
    meta: `${tag}:meta`,
    entries: `${tag}:entries`,
    cutoffs: `${tag}:cutoffs`,
    details: `${tag}:details`,
    log: `${tag}:log`,
    channel: `${tag}:changes`,
    bySub: `${tag}:by-sub`,
    verifiers: `${tag}:verifiers`,
    verifier: (id) => `${tag}:verifier:${id}`,
    ackRequests: `${tag}:ack-requests`,
    acks: `${tag}:acks`,
    watermark: `${tag}:watermark`,
    snapshot: `${tag}:snapshot`,
    snapshotChunk: (id, index) => `${tag}:snapshot:${id}:${index}`,
    snapshotChunkPrefix: `${tag}:snapshot:`,
    rateLimit: (keyName) => `${tag}:rate-limit:${keyName}`,
    authFailures: (client) => `${tag}:auth-failures:${client}`,
    consoleSession: (idHash) => `${tag}:console-session:${idHash}`,
  };
}

/** Prefix of the meta hash fields that count live entries per type: `live:token`, `live:subject`, `live:session`. */
const LIVE_COUNT_PREFIX = 'live:';

/** Field names inside the meta hash. */
export const META = {
  epoch: 'epoch',
  offset: 'offset',
  lastId: 'last_id',
  /**
   * `1` when a durable record (PostgreSQL) owns the history: its offsets
   * never go backwards, across epochs too. It is also the record mode of
   * this Redis: writers that bypass the record (the Redis-only store) check
   * it inside their scripts and refuse to write while it is set.
   */
  durable: 'durable',
  liveCountPrefix: LIVE_COUNT_PREFIX,
  liveCount: (type: string) => `${LIVE_COUNT_PREFIX}${type}`,
} as const;

/** The value of {@link META.durable} that marks a durable history; any other value, or none, marks none. */
export const DURABLE_MARK = '1';

/** Field names of a stream entry: the change's epoch, its offset and the change JSON. */
export const LOG_FIELDS = { epoch: 'e', offset: 'o', change: 'c' } as const;
