import type { ErrorRequestHandler } from 'express';
import type { Logger } from 'pino';
import { InvalidCursorError, InvalidIdError, RecordOwnedError, StoreUnavailableError } from '../store/revocation-store.js';
import { bodyProblem } from './body-errors.js';
import { HttpProblem, sendProblem, validationProblem } from './problem.js';

/** Answers every error as problem+json; only unexpected ones are logged as errors. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) return next(err);
    const requestId = res.locals.requestId as string | undefined;
    let problem: HttpProblem;
    if (err instanceof HttpProblem) problem = err;
    else if (err instanceof InvalidCursorError) problem = validationProblem([{ field: 'cursor', message: err.message }]);
    else if (err instanceof InvalidIdError) problem = validationProblem([{ field: err.field, message: err.problem }]);
    // The router throws a URIError when a path segment is not valid percent-encoding.
    else if (err instanceof URIError) problem = validationProblem([{ field: '(path)', message: 'is not valid percent-encoded UTF-8' }]);
    else if (err instanceof RecordOwnedError) {
      logger.error({ requestId, err }, 'refused a change: this Redis belongs to a PostgreSQL record');
      problem = new HttpProblem(err.code, err.message);
    } else if (err instanceof StoreUnavailableError) {
      logger.warn({ requestId, err }, 'revocation store unavailable');
      problem = new HttpProblem('ERR_STORE_UNAVAILABLE', 'the revocation store is not reachable; retrying is safe', {
        headers: { 'Retry-After': '1' },
      });
    } else {
      // The body parsers answer through body-errors.ts already; this catches one mounted without the wrapper.
      const fromBody = bodyProblem(err, 'JSON');
      if (fromBody !== undefined) problem = fromBody;
      else {
        logger.error({ requestId, method: req.method, path: req.path, err }, 'unexpected error');
        problem = new HttpProblem('ERR_INTERNAL', 'internal error');
      }
    }
    sendProblem(res, problem, requestId);
  };
}
