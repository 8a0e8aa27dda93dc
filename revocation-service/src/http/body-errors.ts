import { HttpProblem, validationProblem } from './problem.js';

/** A body-parser (or raw-body) failure: its `type` says what went wrong. */
interface BodyError {
  readonly type?: unknown;
  readonly status?: unknown;
  readonly limit?: unknown;
  readonly charset?: unknown;
  readonly encoding?: unknown;
}

/** What the body was meant to be, for the messages: a JSON document or a form. */
export type BodyKind = 'JSON' | 'form';

/** Our own `verify` refusals (see body-parsers.ts), answered like body-parser's. */
export const NOT_UTF8_CHARSET = 'charset.not.utf8';
export const INVALID_UTF8 = 'entity.utf8.invalid';

const invalid = (message: string) => validationProblem([{ field: '(body)', message }]);
const unsupported = (detail: string) => new HttpProblem('ERR_UNSUPPORTED_MEDIA_TYPE', detail);

/**
 * Every failure type of body-parser 2 and raw-body 3, with its answer. The
 * one table of body errors: the JSON and form parsers of every route answer
 * through it, and each route's error handler renders the problem in its own
 * format (problem+json, the console's page, RFC 6749 for `/oauth2`).
 */
const BODY_ERRORS: Record<string, (err: BodyError, kind: BodyKind) => HttpProblem> = {
  'entity.parse.failed': (_err, kind) => invalid(kind === 'JSON' ? 'is not valid JSON' : 'is not a valid form'),
  'entity.too.large': (err) => new HttpProblem('ERR_BODY_TOO_LARGE', `the body is larger than the limit of ${String(err.limit)} bytes`),
  'parameters.too.many': () => invalid('has too many fields'),
  'querystring.parse.rangeError': () => invalid('nests too deeply'),
  'encoding.unsupported': (err) =>
    unsupported(`the Content-Encoding ${JSON.stringify(String(err.encoding ?? ''))} is not supported; send identity, gzip, deflate or br`),
  'charset.unsupported': (err, kind) =>
    unsupported(
      `send the body as UTF-8 ${kind === 'JSON' ? 'application/json' : 'form'} (charset ${JSON.stringify(String(err.charset ?? ''))} is not accepted)`,
    ),
  [NOT_UTF8_CHARSET]: (err, kind) =>
    unsupported(
      `send the body as UTF-8 ${kind === 'JSON' ? 'application/json' : 'form'} (charset ${JSON.stringify(String(err.charset ?? ''))} is not accepted)`,
    ),
  [INVALID_UTF8]: () => invalid('is not valid UTF-8'),
  'entity.verify.failed': () => invalid('could not be read'),
  'request.aborted': () => invalid('ended before its Content-Length'),
  'request.size.invalid': () => invalid('does not match its Content-Length'),
  // The two below mean the stream was touched before the parser: not the client's doing, but still no 500 for its request.
  'stream.encoding.set': () => invalid('could not be read'),
  'stream.not.readable': () => invalid('could not be read'),
};

/** The answer to a body that could not be read or parsed; `undefined` when `err` is no body error. */
export function bodyProblem(err: unknown, kind: BodyKind): HttpProblem | undefined {
  if (typeof err !== 'object' || err === null || err instanceof HttpProblem) return undefined;
  const failure = err as BodyError;
  const answer = typeof failure.type === 'string' ? BODY_ERRORS[failure.type] : undefined;
  if (answer !== undefined) return answer(failure, kind);
  // A compressed body that does not inflate: body-parser passes zlib's error on with status 400 and no type.
  if (failure.type === undefined && failure.status === 400) return invalid('could not be decoded as its Content-Encoding says');
  return undefined;
}
