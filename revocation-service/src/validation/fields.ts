import { z } from 'zod';
import { MAX_ID_LENGTH } from '@revocast/verifier-sdk/protocol';

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** With the u flag this matches only surrogates that are not part of a pair. */
const LONE_SURROGATE = /[\ud800-\udfff]/u;

/**
 * A jti, sub or sid: 1 to 256 characters, no control characters, no lone
 * surrogates (Redis stores UTF-8, where a lone surrogate becomes U+FFFD and
 * two different ids would become one).
 */
export const idField = z
  .string({ error: 'must be a string' })
  .min(1, { error: 'must not be empty' })
  .max(MAX_ID_LENGTH, { error: `must be at most ${MAX_ID_LENGTH} characters` })
  .refine((value) => !CONTROL.test(value), { error: 'must not contain control characters' })
  .refine((value) => !LONE_SURROGATE.test(value), { error: 'must be well-formed Unicode (no lone surrogates)' });

export const reasonField = z
  .string({ error: 'must be a string' })
  .max(500, { error: 'must be at most 500 characters' })
  .refine((value) => !CONTROL.test(value), { error: 'must not contain control characters' });

/** Latest instant accepted (9999-12-31T23:59:59Z), in epoch seconds. */
const MAX_EPOCH_SECONDS = 253_402_300_799;

export const epochSecondsField = z
  .number({ error: 'must be a number of seconds since the epoch' })
  .positive({ error: 'must be a positive number of seconds since the epoch' })
  .max(MAX_EPOCH_SECONDS, { error: 'must be before the year 10000' });

export const typeField = z.enum(['token', 'subject', 'session'], { error: 'must be one of "token", "subject", "session"' });

/** A field-level problem, as reported in a 400 answer. */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

/**
 * Flattens zod issues into field errors that name the field. Parse with
 * `{ reportInput: true }`: without the input on each issue, a field of the
 * wrong type cannot be told from a missing one.
 */
export function fieldErrors(error: z.ZodError, prefix = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const issue of error.issues) {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ field: prefix + (path ? `${path}.${key}` : key), message: 'is not a known field' });
      continue;
    }
    const field = path === '' ? (prefix === '' ? '(body)' : prefix.replace(/\.$/, '')) : prefix + path;
    const message = issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message;
    out.push({ field, message });
  }
  return out;
}
