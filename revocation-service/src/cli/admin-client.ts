import { ServiceError } from '../errors.js';
import { EXIT, exitCodeOf, type ExitCode } from './exit-codes.js';

/** A failure the CLI reports on stderr and exits with. */
export class CliError extends ServiceError<'ERR_CLI'> {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    readonly body?: unknown,
  ) {
    super('ERR_CLI', message);
  }
}

/**
 * `path` (`/v1/…`, with its query) under the service URL, keeping the URL's
 * own path: behind a proxy that mounts the service at `/revocast/`, the API
 * is at `/revocast/v1/…` (`new URL('/v1/…', url)` would drop the prefix).
 */
export function serviceUrl(base: string, path: string): URL {
  const url = new URL(base);
  return new URL(`${url.pathname.replace(/\/+$/, '')}${path}`, url.origin);
}

/** One Server-Sent Event; `id` is the last id the stream set, if any. */
export interface StreamEvent {
  readonly event: string;
  readonly data: string;
  readonly id?: string;
}

export interface AdminClientOptions {
  readonly url: string;
  readonly key: string;
  /** Milliseconds before a request is given up. */
  readonly timeoutMs: number;
}

/** Calls the admin API; every non-2xx answer becomes a {@link CliError} with its exit code. */
export class AdminClient {
  readonly #options: AdminClientOptions;

  constructor(options: AdminClientOptions) {
    this.#options = options;
  }

  async #fetch(path: string, init: RequestInit & { stream?: boolean }): Promise<Response> {
    const { url, key, timeoutMs } = this.#options;
    try {
      return await fetch(serviceUrl(url, path), {
        ...init,
        headers: { authorization: `Bearer ${key}`, ...(init.headers as Record<string, string> | undefined) },
        ...(init.stream === true ? {} : { signal: AbortSignal.timeout(timeoutMs) }),
      });
    } catch (err) {
      const reason =
        (err as Error).name === 'TimeoutError'
          ? `no answer within ${timeoutMs / 1000} s`
          : ((err as { cause?: Error }).cause?.message ?? (err as Error).message);
      throw new CliError(`cannot reach the revocation service at ${url}: ${reason}`, EXIT.unavailable);
    }
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.#fetch(path, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      // Not JSON: reported as it came.
    }
    if (!res.ok) {
      const problem = parsed as { detail?: string; code?: string } | undefined;
      const detail =
        typeof problem === 'object' && problem?.detail !== undefined
          ? `${problem.detail}${problem.code === undefined ? '' : ` (${problem.code})`}`
          : `HTTP ${res.status}`;
      throw new CliError(detail, exitCodeOf(res.status), parsed);
    }
    return parsed as T;
  }

  /**
   * Opens a Server-Sent Events stream and yields each event until it ends.
   * `lastEventId` asks the service to replay what came after it. A
   * connection that breaks mid-stream ends the stream like a close does.
   */
  async *events(path: string, lastEventId?: string): AsyncGenerator<StreamEvent> {
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
    const res = await this.#fetch(path, { method: 'GET', headers, stream: true });
    if (!res.ok || res.body === null) {
      const problem = (await res.json().catch(() => undefined)) as { detail?: string } | undefined;
      // A proxy answers 502 or 504 while the service behind it restarts: as retryable as 503.
      const exitCode = res.status === 502 || res.status === 504 ? EXIT.unavailable : exitCodeOf(res.status);
      throw new CliError(problem?.detail ?? `HTTP ${res.status}`, exitCode, problem);
    }
    const decoder = new TextDecoder();
    let buffer = '';
    let id = lastEventId;
    const chunks = res.body[Symbol.asyncIterator]();
    for (;;) {
      let next: IteratorResult<Uint8Array>;
      try {
        next = (await chunks.next()) as IteratorResult<Uint8Array>;
      } catch {
        return; // the connection broke: the caller decides whether to reconnect
      }
      if (next.done === true) return;
      buffer += decoder.decode(next.value, { stream: true });
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let event = 'message';
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith('event: ')) event = line.slice(7);
          else if (line.startsWith('data: ')) data.push(line.slice(6));
          else if (line.startsWith('id: ')) id = line.slice(4);
        }
        if (data.length > 0) yield { event, data: data.join('\n'), ...(id === undefined ? {} : { id }) };
      }
    }
  }
}
