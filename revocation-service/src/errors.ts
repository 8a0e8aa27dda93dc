import type { ProblemCode } from './http/problem.js';

/**
 * Every code an error of the service carries, besides the problem codes it
 * answers HTTP requests with (`PROBLEMS`, in `http/problem.ts`). Each is
 * listed in the README.
 */
export const SERVICE_ERROR_CODES = [
  'ERR_CONFIG',
  'ERR_CLI',
  'ERR_OAUTH',
  'ERR_INVALID_CURSOR',
  'ERR_INVALID_ID',
  'ERR_REDIS_CHANGED',
  'ERR_KEYS_UNAVAILABLE',
  'ERR_STORE_UNAVAILABLE',
  'ERR_REDIS_OWNED_BY_RECORD',
] as const;

export type ServiceErrorCode = (typeof SERVICE_ERROR_CODES)[number];

/**
 * Base class of every error the service throws on purpose. `code` is stable
 * and safe to branch on; the message is for people; `cause` holds the inner
 * error where there is one.
 *
 * @example
 * ```ts
 * try {
 *   loadConfig();
 * } catch (err) {
 *   if (err instanceof ServiceError && err.code === 'ERR_CONFIG') process.exit(78);
 *   throw err;
 * }
 * ```
 */
export class ServiceError<Code extends ServiceErrorCode | ProblemCode = ServiceErrorCode | ProblemCode> extends Error {
  readonly code: Code;

  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    // The subclass's own name, so logs and stack traces say which error it is.
    this.name = new.target.name;
    this.code = code;
  }
}
