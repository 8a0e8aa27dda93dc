import { errorFields, type Logger } from '../internal/logger.js';
import type { Position, PresenceChannel, VerifierReport } from '../protocol/index.js';

export interface PresenceReporterOptions {
  readonly channel: PresenceChannel;
  readonly id: string;
  readonly host: string;
  readonly sdkVersion: string;
  readonly intervalMs: number;
  readonly clock: () => number;
  readonly logger: Logger;
  /** Reads the verifier's sync state when a report is written. */
  readonly view: () => { state: string; position: Position; lastConfirmedAt: number };
}

/** Reports outlive three missed heartbeats, then the verifier drops out of the service's list. */
const TTL_HEARTBEATS = 3;

/**
 * Makes a verifier visible to the service: a report with an expiry on every
 * heartbeat, and an acknowledgement whenever the service asks whether a
 * change has been applied. Acknowledgements are sent only when asked, so a
 * fleet stays quiet unless an admin waits on a change; none of this runs on
 * the token check path.
 */
export class PresenceReporter {
  readonly #options: PresenceReporterOptions;
  readonly #startedAt: number;
  #timer: NodeJS.Timeout | undefined;
  /** The furthest change the service asked about that is not applied yet. */
  #wanted: { epoch: string; offset: number } | undefined;
  #closed = false;

  constructor(options: PresenceReporterOptions) {
    this.#options = options;
    this.#startedAt = options.clock();
  }

  start(): void {
    const { channel, logger, intervalMs } = this.#options;
    this.#timer = setInterval(() => this.heartbeat(), intervalMs);
    this.#timer.unref();
    channel
      .onAckRequest((epoch, offset) => this.#onRequest(epoch, offset))
      .catch((err: unknown) => logger.warn(errorFields(err), 'could not listen for acknowledgement requests'));
    this.heartbeat();
  }

  /** Writes the report now (also on every state change, so the service sees it at once). */
  heartbeat(): void {
    if (this.#closed) return;
    const { channel, intervalMs, logger } = this.#options;
    channel.announce(this.#report(), intervalMs * TTL_HEARTBEATS).catch((err: unknown) => {
      logger.debug(errorFields(err), 'heartbeat failed; the next one retries');
    });
  }

  /** Called by the sync engine each time its position advances (a change applied, a catch-up, a reload). */
  onApplied(position: Position): void {
    const wanted = this.#wanted;
    if (wanted === undefined || position.epoch !== wanted.epoch || position.offset < wanted.offset) return;
    this.#wanted = undefined;
    this.#acknowledge(position);
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#options.channel.withdraw(this.#options.id).catch(() => {});
  }

  #onRequest(epoch: string, offset: number): void {
    const { position } = this.#options.view();
    if (position.epoch === epoch && position.offset >= offset) {
      this.#acknowledge(position);
      return;
    }
    // Keep the furthest request: acknowledging it answers every earlier one too.
    const wanted = this.#wanted;
    if (wanted === undefined || wanted.epoch !== epoch || wanted.offset < offset) this.#wanted = { epoch, offset };
  }

  #acknowledge(position: Position): void {
    if (this.#closed || position.epoch === null) return;
    this.#options.channel
      .acknowledge({ epoch: position.epoch, offset: position.offset, id: this.#options.id })
      .catch((err: unknown) => this.#options.logger.debug(errorFields(err), 'acknowledgement failed'));
  }

  #report(): VerifierReport {
    const { id, host, sdkVersion, intervalMs, clock, view } = this.#options;
    const { state, position, lastConfirmedAt } = view();
    return {
      id,
      host,
      sdkVersion,
      state,
      epoch: position.epoch,
      offset: position.offset,
      streamId: position.streamId,
      lastSyncAt: Number.isFinite(lastConfirmedAt) ? lastConfirmedAt : null,
      startedAt: this.#startedAt,
      reportedAt: clock(),
      heartbeatMs: intervalMs,
    };
  }
}
