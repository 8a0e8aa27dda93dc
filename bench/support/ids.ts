import { randomUUID } from 'node:crypto';

/**
 * A random UUID as a flat one-byte string, as JSON.parse gives a jti.
 * (randomUUID builds its result by concatenation; a rope would inflate the
 * Map baseline's memory and slow both sides' first reads.)
 */
export function uuid(): string {
  return Buffer.from(randomUUID(), 'latin1').toString('latin1');
}

export function uuids(count: number): string[] {
  return Array.from({ length: count }, uuid);
}
