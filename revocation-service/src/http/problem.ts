import type { Response } from 'express';
import type { FieldError } from '../validation/fields.js';

/** Every error code the service answers with. Each is listed in the README. */
export type ProblemCode =
  | 'ERR_VALIDATION'
  | 'ERR_UNAUTHORIZED'
  | 'ERR_FORBIDDEN'
  | 'ERR_NOT_FOUND'
  | 'ERR_BODY_TOO_LARGE'
  | 'ERR_UNSUPPORTED_MEDIA_TYPE'
  | 'ERR_RATE_LIMITED'
  | 'ERR_NOT_CONFIGURED'
  | 'ERR_KEYS_UNAVAILABLE'
  | 'ERR_STORE_UNAVAILABLE'
  | 'ERR_INTERNAL';

const TITLES: Record<ProblemCode, string> = {
  ERR_VALIDATION: 'Invalid request',
  ERR_UNAUTHORIZED: 'Unauthorized',
  ERR_FORBIDDEN: 'Forbidden',
  ERR_NOT_FOUND: 'Not found',
  ERR_BODY_TOO_LARGE: 'Request body too large',
  ERR_UNSUPPORTED_MEDIA_TYPE: 'Unsupported media type',
  ERR_RATE_LIMITED: 'Too many requests',
  ERR_NOT_CONFIGURED: 'Not configured',
  ERR_KEYS_UNAVAILABLE: 'Verification keys unavailable',
  ERR_STORE_UNAVAILABLE: 'Revocation store unavailable',
  ERR_INTERNAL: 'Internal error',
};

/**
 * An error answered as RFC 9457 `application/problem+json`:
 * `{ type, title, status, detail, code, errors? }`.
 */
export class HttpProblem extends Error {
  readonly status: number;
  readonly code: ProblemCode;
  readonly errors: readonly FieldError[] | undefined;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    status: number,
    code: ProblemCode,
    detail: string,
    extra: { errors?: readonly FieldError[]; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(detail, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.name = 'HttpProblem';
    this.status = status;
    this.code = code;
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
      : [...errors.slice(0, MAX_LISTED_ERRORS), { field: '(body)', message: `${errors.length - MAX_LISTED_ERRORS} more problems are not listed` }];
  const detail = listed.map((error) => `${error.field}: ${error.message}`).join('; ');
  return new HttpProblem(400, 'ERR_VALIDATION', detail, { errors: listed });
}

export function sendProblem(res: Response, problem: HttpProblem, requestId?: string): void {
  for (const [name, value] of Object.entries(problem.headers)) res.setHeader(name, value);
  res
    .status(problem.status)
    .type('application/problem+json')
    .send(
      JSON.stringify({
        type: `urn:revocast:problem:${problem.code.slice(4).toLowerCase().replaceAll('_', '-')}`,
        title: TITLES[problem.code],
        status: problem.status,
        detail: problem.message,
        code: problem.code,
        ...(problem.errors === undefined ? {} : { errors: problem.errors }),
        ...(requestId === undefined ? {} : { instance: `urn:revocast:request:${requestId}` }),
      }),
    );
}
