import { randomBytes } from 'node:crypto';

/** The admin key of the services a benchmark starts: random per run, as strong as the service demands of any key. */
export const BENCH_ADMIN_SECRET = randomBytes(32).toString('base64url');
