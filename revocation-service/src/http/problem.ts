import type { Response } from 'express';
import { ServiceError } from '../errors.js';
import type { FieldError } from '../validation/fields.js';

/**
 * Every problem the service answers with: its HTTP status and title. A code
 * always goes with one status, so a call site names the code and says what
 * went wrong, nothing more. Each is listed in the README (the table there
 * and this one are compared by a test) and in the OpenAPI document.
 */
export const PROBLEMS = {
  ERR_VALIDATION: { status: 400, title: 'Invalid request' },
  ERR_UNAUTHORIZED: { status: 401, title: 'Unauthorized' },
  ERR_FORBIDDEN: { status: 403, title: 'Forbidden' },
  ERR_NOT_FOUND: { status: 404, title: 'Not found' },
  ERR_METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed' },
  ERR_BODY_TOO_LARGE: { status: 413, title: 'Request body too large' },
  ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
  ERR_RATE_LIMITED: { status: 429, title: 'Too many requests' },
  ERR_NOT_CONFIGURED: { status: 501, title: 'Not configured' },
  ERR_KEYS_UNAVAILABLE: { status: 503, title: 'Verification keys unavailable' },
  ERR_STORE_UNAVAILABLE: { status: 503, title: 'Revocation store unavailable' },
  ERR_REDIS_OWNED_BY_RECORD: { status: 409, title: 'Redis belongs to a PostgreSQL record' },
  ERR_INTERNAL: { status: 500, title: 'Internal error' },
} as const satisfies Record<`ERR_${string}`, { readonly status: number; readonly title: string }>;

export type ProblemCode = keyof typeof PROBLEMS;

/** The codes of {@link PROBLEMS}, in its order. */
export const PROBLEM_CODES = Object.keys(PROBLEMS) as readonly ProblemCode[];

/**
 * An error answered as RFC 9457 `application/problem+json`:
 * `{ type, title, status, detail, code, errors? }`. The status and title
 * come from {@link PROBLEMS}.
 *
 * @example
 * ```ts
 * throw new HttpProblem('ERR_NOT_FOUND', `no token revocation for "abc"`);
 * ```
 */
export class HttpProblem extends ServiceError<ProblemCode> {
  readonly status: number;
  readonly errors: readonly FieldError[] | undefined;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    code: ProblemCode,
    detail: string,
    extra: { errors?: readonly FieldError[]; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(code, detail, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.status = PROBLEMS[code].status;
    this.errors = extra.errors;
    this.headers = extra.headers ?? {};
  }
}

/** Problems listed in one 400 answer; the rest are counted, so a body with 60,000 unknown keys gets a short answer. */
export const MAX_LISTED_ERRORS = 100;

/**
 * A 400 naming every bad field: "exp: must be a number of seconds since the
 * epoch". Past {@link MAX_LISTED_ERRORS} problems, the rest are counted in a
 * last entry, `(body): N more problems are not listed`.
 */
export function validationProblem(errors: readonly FieldError[]): HttpProblem {
  const listed =
    errors.length <= MAX_LISTED_ERRORS
      ? errors
      : [
          ...errors.slice(0, MAX_LISTED_ERRORS),
          { field: '(body)', message: `${errors.length - MAX_LISTED_ERRORS} more problems are not listed` },
        ];
  const detail = listed.map((error) => `${error.field}: ${error.message}`).join('; ');
  return new HttpProblem('ERR_VALIDATION', detail, { errors: listed });
}

export function sendProblem(res: Response, problem: HttpProblem, requestId?: string): void {
  for (const [name, value] of Object.entries(problem.headers)) res.setHeader(name, value);
  res
    .status(problem.status)
    .type('application/problem+json')
    .send(
      JSON.stringify({
        type: `urn:revocast:problem:${problem.code.slice(4).toLowerCase().replaceAll('_', '-')}`,
        title: PROBLEMS[problem.code].title,
        status: problem.status,
        detail: problem.message,
        code: problem.code,
        ...(problem.errors === undefined ? {} : { errors: problem.errors }),
        ...(requestId === undefined ? {} : { instance: `urn:revocast:request:${requestId}` }),
      }),
    );
}
