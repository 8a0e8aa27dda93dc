import { isUtf8 } from 'node:buffer';
import express, { type RequestHandler } from 'express';
import { bodyProblem, INVALID_UTF8, NOT_UTF8_CHARSET, type BodyKind } from './body-errors.js';
import { HttpProblem, validationProblem } from './problem.js';

/**
 * Every body is UTF-8, and well-formed: a decoder would turn bad bytes into
 * U+FFFD, and an id that became U+FFFD could be stored as another id.
 * Runs on the raw bytes, after decompression and the size limit.
 */
function utf8Only(_req: unknown, _res: unknown, body: Buffer, charset: string | null): void {
  if (charset !== null && charset !== 'utf-8' && charset !== 'utf8') {
    throw Object.assign(new Error('charset is not UTF-8'), { type: NOT_UTF8_CHARSET, charset });
  }
  if (!isUtf8(body)) throw Object.assign(new Error('body is not valid UTF-8'), { type: INVALID_UTF8 });
}

/**
 * A form's fields are percent-encoded, so their bytes are checked once
 * decoded: `%FF` would become U+FFFD too. Separators are ASCII and never
 * part of a multi-byte character, so checking the whole decoded body
 * checks every name and value.
 */
function utf8Form(req: unknown, res: unknown, body: Buffer, charset: string | null): void {
  utf8Only(req, res, body, charset);
  const decoded = Buffer.from(
    body.toString('latin1').replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
    'latin1',
  );
  if (!isUtf8(decoded)) throw Object.assign(new Error('form is not valid UTF-8'), { type: INVALID_UTF8 });
}

/**
 * Wraps a body-parser so that its failures leave as {@link HttpProblem}s,
 * which every route's error handler already knows how to answer in its
 * format. An unexpected parser failure is still answered 400: whatever
 * the body, the client sent it.
 */
function answered(parser: RequestHandler, kind: BodyKind): RequestHandler {
  return (req, res, next) => {
    parser(req, res, (err?: unknown) => {
      if (err === undefined || err === null || err === 'route' || err === 'router') return next(err as undefined);
      next(
        bodyProblem(err, kind) ??
          (err instanceof HttpProblem ? err : validationProblem([{ field: '(body)', message: 'could not be read' }])),
      );
    });
  };
}

/** `application/json` bodies (UTF-8 only, strict: an object or array), up to `limit`. */
export function jsonBody(limit: string | number): RequestHandler {
  return answered(express.json({ limit, strict: true, type: 'application/json', verify: utf8Only }), 'JSON');
}

/** `application/x-www-form-urlencoded` bodies (UTF-8 only), up to `limit` bytes and `parameterLimit` fields. */
export function formBody(limit: string | number, parameterLimit: number): RequestHandler {
  return answered(express.urlencoded({ extended: false, limit, parameterLimit, verify: utf8Form }), 'form');
}
