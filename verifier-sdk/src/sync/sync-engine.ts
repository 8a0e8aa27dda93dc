import { RevocationList } from '../list/revocation-list.js';
import type { RevocationType } from '../protocol/index.js';
import { errorFields, type Logger } from '../internal/logger.js';
import type { VerifierMetrics } from '../metrics/verifier-metrics.js';
import { confirmation } from './confirmation.js';
import {
  START_POSITION,
  UndecodableChangeError,
  compareHead,
  decodeMessages,
  nextStep,
  type Change,
  type Entry,
  type Head,
  type Message,
  type Position,
  type SyncSource,
} from '../protocol/index.js';

/** Lifecycle of a verifier's revocation list. */
export type SyncState = 'starting' | 'ready' | 'stale' | 'closed';

export type ReloadReason = 'start' | 'epoch-changed' | 'offset-regressed' | 'history-trimmed';

/**
 * What the engine keeps equal to the history: a verifier's
 * {@link RevocationList} (digests only), or a list that keeps every id (the
 * service's mirror, from which it writes the compact snapshot).
 */
export interface SyncedList {
  apply(change: Change): void;
  put(entry: Entry): void;
  /** Makes room for this many more entries of each type (a hint; may do nothing). */
  reserve(counts: Partial<Record<RevocationType, number>>): void;
  /** Drops expired entries, at most `budget`; {@link pruning} says whether more is left. */
  prune(nowMs: number, budget?: number): number;
  readonly pruning: boolean;
  readonly size: number;
}

export interface SyncEngineOptions<L extends SyncedList = RevocationList> {
  readonly source: SyncSource;
  /** A new, empty list (at every reload). Default: a {@link RevocationList}. */
  readonly createList?: (nowMs: number) => L;
  readonly clock: () => number;
  readonly toleranceMs: number;
  readonly pollIntervalMs: number;
  readonly maxStalenessMs: number;
  readonly logger: Logger;
  readonly metrics: VerifierMetrics;
  readonly onStateChange: (state: SyncState) => void;
  /** Called each time the position advances (a change applied, a catch-up, a reload), current or not. */
  readonly onAdvanced?: (position: Position) => void;
}

/** Thrown inside a catch-up when the stream cannot continue our history. */
class HistoryBroken extends Error {}

/** Thrown by a replay that reached a change it cannot decode: everything before it is applied, up to `position`. */
class StoppedBefore extends Error {
  constructor(
    readonly position: Position,
    override readonly cause: UndecodableChangeError,
  ) {
    super(cause.message);
  }
}

const PAGE = 1000;
/** Expired keys pruned per slice: well under a millisecond each on an idle core, so the event loop never stalls for long. */
const PRUNE_SLICE = 2_000;
/** Messages buffered while a load or catch-up runs; past this the stream is the buffer. */
const MAX_PENDING = 100_000;
/** Malformed channel messages are counted each; logged at most this often, so a flood cannot flood the logs. */
const MALFORMED_LOG_EVERY_MS = 60_000;

/**
 * Keeps a {@link RevocationList} equal to the history in the source, without
 * gaps, the way Centrifugo recovers streams:
 *
 * - start: subscribe first and buffer, load a snapshot with its offset, then
 *   replay the stream and the buffer above that offset;
 * - live: apply offset last+1, drop duplicates, catch up from the stream on a
 *   jump, reload everything on a new epoch or a trimmed stream;
 * - liveness: read the head every poll interval, so an idle verifier or a
 *   subscription that silently stopped delivering is noticed;
 * - staleness: the time of the last confirmation that the list was current,
 *   dated only by a head read that the list has reached (see
 *   {@link confirmation}); applying a message moves the position, never
 *   that time.
 *
 * Loads and catch-ups run one at a time; messages arriving meanwhile wait in
 * a buffer. The list is replaced only once a reload has fully succeeded, so
 * checks keep using the previous list until then.
 */
export class SyncEngine<L extends SyncedList = RevocationList> {
  #list: L;
  #position: Position = START_POSITION;
  #lastConfirmedAt = Number.NEGATIVE_INFINITY;
  #state: SyncState = 'starting';
  #loaded = false;
  #subscribed = false;
  #busy = false;
  #pending: Message[] = [];
  #timer: NodeJS.Timeout | undefined;
  #pruneScheduled = false;
  /** Redis was found without the history we follow; logged once per loss. */
  #historyLost = false;
  /** Stream id of the undecodable change this verifier stopped before; counted and logged once. */
  #stoppedBefore: string | undefined;
  #malformedLoggedAt = Number.NEGATIVE_INFINITY;
  /** Why the last head read confirmed nothing; logged once per cause. */
  #unconfirmed: string | undefined;
  #readyWaiters: Array<{ resolve: () => void; reject: (err: Error) => void }> = [];
  /** Waiting for the first confirmation: loaded is not enough, the list must be shown current once. */
  #confirmedWaiters: Array<{ resolve: () => void; reject: (err: Error) => void }> = [];
  readonly #options: SyncEngineOptions<L>;
  readonly #createList: (nowMs: number) => L;

  constructor(options: SyncEngineOptions<L>) {
    this.#options = options;
    this.#createList = options.createList ?? ((now) => new RevocationList(options.toleranceMs, now) as unknown as L);
    this.#list = this.#createList(options.clock());
  }

  get list(): L {
    return this.#list;
  }

  get position(): Position {
    return this.#position;
  }

  get state(): SyncState {
    return this.#state;
  }

  /** Epoch ms of the last moment the list was known to be current; -Infinity before the first load. */
  get lastConfirmedAt(): number {
    return this.#lastConfirmedAt;
  }

  /** True when the list has not been confirmed current within `maxStaleness`. */
  isStale(now: number): boolean {
    return now - this.#lastConfirmedAt > this.#options.maxStalenessMs;
  }

  start(): void {
    const { source, logger } = this.#options;
    this.#timer = setInterval(() => this.#tick(), this.#options.pollIntervalMs);
    this.#timer.unref();
    source
      .subscribe(
        (raw) => this.#onMessage(raw),
        () => {
          logger.info({}, 'revocation channel resubscribed; checking for missed changes');
          void this.#run(() => this.#check());
        },
      )
      .then(() => {
        this.#subscribed = true;
        this.#tick();
      })
      .catch((err: unknown) => logger.error(errorFields(err), 'could not subscribe to the revocation channel'));
  }

  /** Resolves once the first snapshot is loaded. */
  ready(): Promise<void> {
    if (this.#loaded) return Promise.resolve();
    if (this.#state === 'closed') return Promise.reject(new Error('verifier is closed'));
    return new Promise((resolve, reject) => this.#readyWaiters.push({ resolve, reject }));
  }

  /**
   * Resolves once the list has been confirmed current for the first time
   * (loaded, and a head read it reached, with a record watermark where a
   * durable record stands behind Redis). Until then every check is stale.
   */
  confirmed(): Promise<void> {
    if (Number.isFinite(this.#lastConfirmedAt)) return Promise.resolve();
    if (this.#state === 'closed') return Promise.reject(new Error('verifier is closed'));
    return new Promise((resolve, reject) => this.#confirmedWaiters.push({ resolve, reject }));
  }

  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    clearInterval(this.#timer);
    this.#setState('closed');
    for (const waiter of this.#readyWaiters.splice(0)) waiter.reject(new Error('verifier closed before it was ready'));
    for (const waiter of this.#confirmedWaiters.splice(0)) waiter.reject(new Error('verifier closed before it was ready'));
    await this.#options.source.close();
  }

  /** Runs a liveness check now (normally it runs every poll interval). */
  checkNow(): Promise<void> {
    return this.#run(() => (this.#loaded ? this.#check() : this.#reload('start')));
  }

  #tick(): void {
    if (this.#state === 'closed') return;
    const now = this.#options.clock();
    this.#prune(now);
    this.#updateStaleness(now);
    if (!this.#subscribed || this.#busy) return;
    void this.#run(() => (this.#loaded ? this.#check() : this.#reload('start')));
  }

  /** Prunes one slice; when more has expired, the rest follows after other work has had its turn. */
  #prune(now: number): void {
    if (this.#pruneScheduled) return;
    this.#list.prune(now, PRUNE_SLICE);
    if (!this.#list.pruning) return;
    this.#pruneScheduled = true;
    setImmediate(() => {
      this.#pruneScheduled = false;
      if (this.#state !== 'closed') this.#prune(this.#options.clock());
    });
  }

  #onMessage(raw: string): void {
    // One message, or a batch of consecutive ones from the bulk endpoint.
    const messages = decodeMessages(raw);
    if (messages === undefined) {
      // Not skipped: the stream holds the same change, and the check reads it from there (or stops before it).
      this.#options.metrics.invalidMessage();
      const now = this.#options.clock();
      if (now - this.#malformedLoggedAt >= MALFORMED_LOG_EVERY_MS) {
        this.#malformedLoggedAt = now;
        this.#options.logger.error(
          { length: raw.length },
          'received a revocation message that cannot be decoded; reading the change from the stream instead',
        );
      }
      void this.#run(() => this.#check());
      return;
    }
    for (const message of messages) {
      if (!this.#loaded || this.#busy) {
        if (this.#pending.length < MAX_PENDING) this.#pending.push(message);
      } else {
        this.#handle(message);
      }
    }
  }

  #handle(message: Message): void {
    switch (nextStep(this.#position, message)) {
      case 'apply':
        // Not a confirmation: older messages may still be unread (after a stall), so only a head read dates the list.
        this.#list.apply(message.change);
        this.#position = message;
        this.#options.onAdvanced?.(message);
        return;
      case 'duplicate':
        return;
      case 'gap':
        void this.#run(() => this.#catchUp(message.offset));
        return;
      case 'reset':
        void this.#run(() => this.#reload('epoch-changed'));
        return;
    }
  }

  /** Runs one sync task at a time; then applies what arrived meanwhile. */
  async #run(task: () => Promise<unknown>): Promise<void> {
    if (this.#busy || this.#state === 'closed') return;
    this.#busy = true;
    let failed = false;
    try {
      await task();
    } catch (err) {
      failed = true;
      // Whatever was buffered is also in the stream; the next check reads it from there.
      this.#pending = [];
      this.#options.metrics.syncError();
      this.#options.logger.warn(errorFields(err), 'revocation sync failed; retrying on the next poll');
    } finally {
      this.#busy = false;
    }
    if (!failed) this.#drain();
  }

  #drain(): void {
    const pending = this.#pending;
    this.#pending = [];
    for (let i = 0; i < pending.length; i++) {
      if (this.#busy) {
        // A message started a catch-up; keep the rest for after it.
        this.#pending = pending.slice(i).concat(this.#pending);
        return;
      }
      this.#handle(pending[i] as Message);
    }
  }

  async #check(): Promise<void> {
    // Taken before the read is sent: the head covers at least everything up to this moment.
    const issuedAt = this.#options.clock();
    const head = await this.#options.source.head();
    switch (compareHead(this.#position, head)) {
      case 'current':
        this.#confirmFrom(head, issuedAt);
        return;
      case 'behind':
        // A catch-up that had to reload dated the list by its own head read; this one no longer matches.
        if (await this.#catchUp(head.offset)) this.#confirmFrom(head, issuedAt);
        return;
      case 'reset':
        await this.#reload(head.epoch === this.#position.epoch ? 'offset-regressed' : 'epoch-changed');
        return;
      case 'lost':
        this.#onHistoryLost();
        return;
    }
  }

  /**
   * Redis holds less than we have seen (no history at all, or an older copy
   * of a durable one). Reloading now would forget revocations and accept
   * tokens revoked before the loss, so keep the list unconfirmed (it turns
   * stale after maxStaleness) until the service writes a complete history.
   */
  #onHistoryLost(): void {
    if (this.#historyLost) return;
    this.#historyLost = true;
    this.#options.logger.warn(
      { epoch: this.#position.epoch, offset: this.#position.offset },
      'Redis holds less revocation history than this verifier has seen; keeping the current list until the service restores it',
    );
  }

  /**
   * Reads missed changes from the stream, up to at least `target`; reloads if
   * the stream cannot supply them. False when it stopped before a change it
   * cannot decode: then nothing may confirm the list.
   */
  async #catchUp(target: number): Promise<boolean> {
    try {
      this.#position = await this.#replay(this.#list, this.#position);
    } catch (err) {
      if (err instanceof StoppedBefore) {
        // Stay before it, unconfirmed: the head is ahead, so no head read confirms the list until the history is replaced.
        this.#position = err.position;
        this.#options.onAdvanced?.(this.#position);
        this.#onUndecodable(err.cause);
        return false;
      }
      if (!(err instanceof HistoryBroken)) throw err;
      return this.#reload('history-trimmed');
    }
    // The head said `target` exists; a stream that ends before it was trimmed or lost.
    if (this.#position.offset < target) return this.#reload('history-trimmed');
    this.#options.metrics.catchUp();
    this.#options.onAdvanced?.(this.#position);
    return true;
  }

  /** Loads the list anew; false when it stopped before a change it cannot decode (then it is not confirmed). */
  async #reload(reason: ReloadReason): Promise<boolean> {
    const { source, clock, logger, metrics } = this.#options;
    const started = clock();
    let list: L;
    let position: Position;
    let head: Head;
    let issuedAt: number;
    let stopped: UndecodableChangeError | undefined;
    let loadedFrom: 'snapshot' | 'scan' = 'scan';
    const put = (entries: readonly Entry[]) => {
      for (const entry of entries) list.put(entry);
    };
    // The compact snapshot first, when the source has one; anything wrong with it, and the scan.
    let compact = source.compactSnapshot !== undefined;
    // A reload can race with a second reset (Redis emptied again mid-load); try a few times.
    for (let attempt = 1; ; attempt++) {
      // A fresh list each attempt: what the abandoned snapshot held may since have been reinstated.
      list = this.#createList(clock());
      // The snapshot reads the head first: the reload is dated by when that read was sent.
      issuedAt = clock();
      let from: Position;
      const loaded = compact ? await source.compactSnapshot?.(put, (counts) => list.reserve(counts)) : undefined;
      if (loaded !== undefined) {
        head = loaded.head;
        from = loaded.from;
        loadedFrom = 'snapshot';
      } else {
        if (compact) {
          // Whatever an unusable snapshot handed over is discarded.
          compact = false;
          list = this.#createList(clock());
          issuedAt = clock();
        }
        head = await source.snapshot(put);
        from = head;
        loadedFrom = 'scan';
      }
      // The new history holds less than we have seen: wait for the service to replace it.
      if (compareHead(this.#position, head) === 'lost') {
        this.#onHistoryLost();
        return false;
      }
      try {
        position = await this.#replay(list, from);
        break;
      } catch (err) {
        // Keep what could be applied, unconfirmed: reloading again would stop at the same change.
        if (err instanceof StoppedBefore) {
          position = err.position;
          stopped = err.cause;
          break;
        }
        if (!(err instanceof HistoryBroken)) throw err;
        if (loaded !== undefined) {
          // The stream no longer continues from the snapshot (trimmed past it, or another history): never trust it, scan.
          logger.warn(
            { offset: from.offset, epoch: from.epoch },
            'the stream does not continue from the compact snapshot; reading every entry instead',
          );
          compact = false;
          attempt--;
          continue;
        }
        if (attempt >= 3) throw err;
      }
    }
    this.#list = list;
    this.#position = position;
    metrics.reload(reason);
    const firstLoad = !this.#loaded;
    this.#loaded = true;
    this.#options.onAdvanced?.(position);
    // Stopped before an undecodable change: what precedes it is loaded, but the list is not confirmed (it fails closed).
    if (stopped === undefined) this.#confirmFrom(head, issuedAt);
    else this.#onUndecodable(stopped);
    logger.info(
      { reason, from: loadedFrom, epoch: position.epoch, offset: position.offset, entries: list.size, ms: clock() - started },
      firstLoad ? 'revocation list loaded' : 'revocation list reloaded',
    );
    if (firstLoad) for (const waiter of this.#readyWaiters.splice(0)) waiter.resolve();
    return stopped === undefined;
  }

  /**
   * Applies stream changes after `from` to `list`; returns the new position.
   * Throws {@link StoppedBefore} at a change it cannot decode, having applied those before it.
   */
  async #replay(list: L, from: Position): Promise<Position> {
    let position = from;
    for (;;) {
      let batch: readonly Message[];
      let undecodable: UndecodableChangeError | undefined;
      try {
        batch = await this.#options.source.readAfter(position.streamId, PAGE);
      } catch (err) {
        if (!(err instanceof UndecodableChangeError)) throw err;
        batch = err.before;
        undecodable = err;
      }
      for (const message of batch) {
        const step = nextStep(position, message);
        if (step === 'duplicate') continue;
        if (step !== 'apply')
          throw new HistoryBroken(
            `stream continues at ${message.epoch}:${message.offset}, expected ${position.epoch}:${position.offset + 1}`,
          );
        list.apply(message.change);
        position = message;
      }
      if (undecodable !== undefined) throw new StoppedBefore(position, undecodable);
      if (batch.length < PAGE) return position;
    }
  }

  /**
   * The history holds a change this verifier cannot decode. It stays before
   * it, unconfirmed (stale after maxStaleness, so it fails closed), and
   * neither reloads nor logs again for the same change: each poll only
   * retries the read, until the change is trimmed or the history replaced.
   */
  #onUndecodable(err: UndecodableChangeError): void {
    if (this.#stoppedBefore === err.streamId) return;
    this.#stoppedBefore = err.streamId;
    this.#options.metrics.undecodableChange();
    this.#options.logger.error(
      { streamId: err.streamId, epoch: this.#position.epoch, offset: this.#position.offset },
      'the revocation stream holds a change this verifier cannot decode; it stops before it and turns stale after maxStaleness until the history is replaced',
    );
  }

  /** Dates the list by a head read issued at `issuedAt`, if that read covers where the list stands. */
  #confirmFrom(head: Head, issuedAt: number): void {
    const result = confirmation(this.#position, head, issuedAt);
    if ('unconfirmed' in result) {
      if (result.unconfirmed !== 'behind-head' && this.#unconfirmed !== result.unconfirmed) {
        this.#options.logger.warn(
          { reason: result.unconfirmed, offset: this.#position.offset, recordOffset: head.watermark?.offset },
          result.unconfirmed === 'behind-record'
            ? 'the record holds changes Redis has not received (Redis may be refusing writes); the list is not confirmed current'
            : 'Redis carries no record watermark (no service replica has written one yet, or Redis lost or refused it); the list is not confirmed current until one is written',
        );
      }
      this.#unconfirmed = result.unconfirmed;
      return;
    }
    this.#unconfirmed = undefined;
    this.#historyLost = false;
    this.#stoppedBefore = undefined;
    // Never backwards: an older read answered late says less than one already counted.
    if (result.at > this.#lastConfirmedAt) this.#lastConfirmedAt = result.at;
    for (const waiter of this.#confirmedWaiters.splice(0)) waiter.resolve();
    if ((this.#state === 'starting' || this.#state === 'stale') && !this.isStale(this.#options.clock())) {
      if (this.#state === 'stale') this.#options.logger.info({ offset: this.#position.offset }, 'revocation list is current again');
      this.#setState('ready');
    }
  }

  #updateStaleness(now: number): void {
    if (this.#state === 'ready' && this.isStale(now)) {
      this.#options.metrics.becameStale();
      this.#options.logger.error(
        { lastConfirmedAt: new Date(this.#lastConfirmedAt).toISOString(), maxStalenessMs: this.#options.maxStalenessMs },
        'revocation list is stale: it could not be confirmed current within maxStaleness',
      );
      this.#setState('stale');
    }
  }

  #setState(state: SyncState): void {
    if (state === this.#state) return;
    this.#state = state;
    this.#options.onStateChange(state);
  }
}
