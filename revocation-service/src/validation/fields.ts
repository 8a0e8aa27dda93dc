import { z } from 'zod';
import { idProblem } from '@revocast/verifier-sdk/protocol';

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** A jti, sub or sid: the protocol's one id rule ({@link idProblem}), so whatever is accepted here a verifier can hold. */
export const idField = z
  .string({ error: 'must be a string' })
  .superRefine((value, ctx) => {
    const problem = idProblem(value);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem, input: value });
  })
  // JSON Schema cannot say all of idProblem (no control characters, no lone surrogates); the length it can.
  .meta({ minLength: 1, maxLength: 256 });

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
