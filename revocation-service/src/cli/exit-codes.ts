/**
 * What `revocast` exits with, so scripts can tell outcomes apart. Listed in
 * docs/cli.md; never change a number once released.
 */
export const EXIT = {
  /** Done. */
  ok: 0,
  /** Anything else: an unexpected answer or a 5xx from the service. */
  failure: 1,
  /** Wrong arguments or options, or REVOCAST_ADMIN_KEY is not set. */
  usage: 2,
  /** The revocation (or route) does not exist. */
  notFound: 3,
  /** The admin key was refused (401) or lacks a scope (403). */
  auth: 4,
  /** The service refused the request as invalid (400, 413, 415). */
  rejected: 5,
  /** The service could not be reached, is not ready (503) or is rate limiting (429): retrying may help. */
  unavailable: 6,
  /** The change is recorded, but not every live verifier confirmed it before the timeout (`--wait`). */
  incomplete: 7,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The exit code for an HTTP error status. */
export function exitCodeOf(status: number): ExitCode {
  if (status === 404) return EXIT.notFound;
  if (status === 401 || status === 403) return EXIT.auth;
  if (status === 429 || status === 503) return EXIT.unavailable;
  if (status >= 400 && status < 500) return EXIT.rejected;
  return EXIT.failure;
}
