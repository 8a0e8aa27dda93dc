/** The revocation service could not record a revocation. Nothing is known to have changed. */
export class RevocationServiceError extends Error {
  readonly code = 'ERR_REVOCATION_SERVICE';
  readonly status = 503;
  /** The status the service answered with, when it answered (a refusal rather than an outage). */
  readonly answered: number | undefined;

  constructor(message: string, options?: { cause?: unknown; answered?: number }) {
    super(message, options);
    this.name = 'RevocationServiceError';
    this.answered = options?.answered;
  }
}

/** What the app asks of the revocation service. */
export interface RevocationClient {
  /** Revokes every token of one sign-in. */
  revokeSession(input: { readonly sid: string; readonly sub: string; readonly reason: string }): Promise<void>;
  /**
   * Revokes every token of a user issued up to now. Resolves with the cutoff
   * the service recorded, in epoch milliseconds: tokens with `iat` at or
   * before it are revoked, so a new sign-in must be issued after it.
   */
  revokeSubject(input: { readonly sub: string; readonly reason: string }): Promise<{ readonly cutoff: number }>;
}

export interface RevocationClientOptions {
  /** Base URL of the service, such as `http://127.0.0.1:8080`. */
  readonly url: string;
  /** An admin key secret the service accepts (one of its `REVOCAST_ADMIN_KEYS`). */
  readonly adminKey: string;
  /** Default 3000. */
  readonly timeoutMs?: number;
}

/**
 * A client of the service's admin API (`POST /v1/revocations`). The app uses
 * it whether the service runs in its own process or inside the app's.
 *
 * @example
 * ```ts
 * const revocations = createRevocationClient({ url: 'http://127.0.0.1:8080', adminKey: process.env.REVOCAST_ADMIN_KEY });
 * const { cutoff } = await revocations.revokeSubject({ sub: 'alice', reason: 'password changed' });
 * ```
 */
export function createRevocationClient(options: RevocationClientOptions): RevocationClient {
  const endpoint = new URL('/v1/revocations', options.url);
  const timeoutMs = options.timeoutMs ?? 3000;

  async function revoke(body: Record<string, string>): Promise<Record<string, unknown>> {
    let res: Response;
    try {
      res = await fetch(endpoint, {
        method: 'POST',
        headers: { authorization: `Bearer ${options.adminKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new RevocationServiceError(`revocation service at ${endpoint.origin} did not answer: ${(err as Error).message}`, {
        cause: err,
      });
    }
    const answer = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    if (res.status !== 200 && res.status !== 201) {
      const detail = typeof answer.detail === 'string' ? answer.detail : res.statusText;
      throw new RevocationServiceError(`revocation service answered ${res.status}: ${detail}`, { answered: res.status });
    }
    return answer;
  }

  return {
    async revokeSession({ sid, sub, reason }) {
      await revoke({ type: 'session', sid, sub, reason });
    },
    async revokeSubject({ sub, reason }) {
      const answer = await revoke({ type: 'subject', sub, reason });
      // `before` is in seconds with millisecond precision; a repeat answers with the (later) cutoff in force.
      if (typeof answer.before !== 'number') throw new RevocationServiceError('revocation service answered without a cutoff ("before")');
      return { cutoff: Math.round(answer.before * 1000) };
    },
  };
}
