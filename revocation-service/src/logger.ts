import { pino, type Logger, type LevelWithSilent } from 'pino';

/** Paths never written to a log line: credentials and tokens, wherever they appear. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  'token',
  '*.token',
  'secret',
  '*.secret',
  'password',
  '*.password',
  // Errors are logged whole, under `err`; a Redis error carries the command it failed, whose arguments can be
  // an AUTH password or the ids and reasons of a change.
  'err.command.args',
];

/**
 * The service's pino logger. Errors go under pino's `err` key, whole
 * (`logger.warn({ err }, 'what failed')`), so every line with an error has
 * its type, message, stack and cause in one shape.
 */
export function createLogger(level: LevelWithSilent, destination?: pino.DestinationStream): Logger {
  const options = { level, base: { service: 'revocast' }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  return destination === undefined ? pino(options) : pino(options, destination);
}
