import type { ErrorRequestHandler } from 'express';
import type { Logger } from 'pino';
import { InvalidCursorError, RecordOwnedError, StoreUnavailableError } from '../store/revocation-store.js';
import { HttpProblem, sendProblem, validationProblem } from './problem.js';

/** body-parser reports its failures with a `type`; map them to problems. */
function bodyParserProblem(err: { type?: unknown; limit?: unknown; status?: unknown }): HttpProblem | undefined {
  switch (err.type) {
    case 'entity.parse.failed':
      return validationProblem([{ field: '(body)', message: 'is not valid JSON' }]);
    case 'entity.too.large':
      return new HttpProblem(413, 'ERR_BODY_TOO_LARGE', `the body is larger than the limit of ${String(err.limit)} bytes`);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new HttpProblem(415, 'ERR_UNSUPPORTED_MEDIA_TYPE', 'send the body as UTF-8 application/json');
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return validationProblem([{ field: '(body)', message: 'could not be read' }]);
    case undefined:
      // A compressed body that does not inflate: body-parser passes zlib's error on with status 400 and no type.
      return err.status === 400 ? validationProblem([{ field: '(body)', message: 'could not be decoded as its Content-Encoding says' }]) : undefined;
    default:
      return undefined;
  }
}

/** Answers every error as problem+json; only unexpected ones are logged as errors. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) return next(err);
    const requestId = res.locals.requestId as string | undefined;
    let problem: HttpProblem;
    if (err instanceof HttpProblem) problem = err;
    else if (err instanceof InvalidCursorError) problem = validationProblem([{ field: 'cursor', message: err.message }]);
    // The router throws a URIError when a path segment is not valid percent-encoding.
    else if (err instanceof URIError) problem = validationProblem([{ field: '(path)', message: 'is not valid percent-encoded UTF-8' }]);
    else if (err instanceof RecordOwnedError) {
      logger.error({ requestId, code: err.code }, err.message);
      problem = new HttpProblem(err.status, err.code, err.message);
    } else if (err instanceof StoreUnavailableError) {
      logger.warn({ requestId, err: { message: err.message } }, 'revocation store unavailable');
      problem = new HttpProblem(503, 'ERR_STORE_UNAVAILABLE', 'the revocation store is not reachable; retrying is safe', {
        headers: { 'Retry-After': '1' },
      });
    } else {
      const fromBody = typeof err === 'object' && err !== null ? bodyParserProblem(err as { type?: unknown }) : undefined;
      if (fromBody !== undefined) problem = fromBody;
      else {
        logger.error({ requestId, method: req.method, path: req.path, err }, 'unexpected error');
        problem = new HttpProblem(500, 'ERR_INTERNAL', 'internal error');
      }
    }
    sendProblem(res, problem, requestId);
  };
}
