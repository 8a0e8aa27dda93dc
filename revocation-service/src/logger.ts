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
];

export function createLogger(level: LevelWithSilent, destination?: pino.DestinationStream): Logger {
  const options = { level, base: { service: 'revocast' }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  return destination === undefined ? pino(options) : pino(options, destination);
}
