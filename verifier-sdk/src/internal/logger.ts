/** The part of a pino logger the SDK uses; any pino logger fits. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Used when no logger is given: problems still reach stderr, routine lines do not. */
export const consoleLogger: Logger = {
  debug() {},
  info() {},
  warn(obj, msg) {
    console.warn(JSON.stringify({ level: 'warn', name: 'revocast', msg, ...obj }));
  },
  error(obj, msg) {
    console.error(JSON.stringify({ level: 'error', name: 'revocast', msg, ...obj }));
  },
};

/** A serializable view of an error for log lines. */
export function errorFields(err: unknown): { err: { message: string; name?: string; code?: unknown } } {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { err: code === undefined ? { name: err.name, message: err.message } : { name: err.name, message: err.message, code } };
  }
  return { err: { message: String(err) } };
}
