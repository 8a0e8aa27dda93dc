import { z } from 'zod';
import type { ListQuery } from '../store/revocation-store.js';
import type { WaitRequest } from '../actions/revocation-actions.js';
import { fieldErrors, idField, reasonField, typeField, type FieldError } from './fields.js';
import { DEFAULTS } from '../config/defaults.js';
import { DURATION_PATTERN } from '../config/duration.js';
import { MAX_WAIT_MS, parseWaitQuery } from './wait-query.js';
import type { ParseResult } from './revocation-input.js';

/** The query of `GET /v1/revocations`; the OpenAPI document is generated from it. */
export const listQuerySchema = z.strictObject({
  type: typeField.optional(),
  sub: idField.meta({ description: "Only this user's revocations, in a stable order." }).optional(),
  limit: z
    .string({ error: 'must be given once' })
    .regex(/^\d{1,4}$/, { error: 'must be a whole number from 1 to 1000' })
    .transform(Number)
    .refine((n) => n >= 1 && n <= 1000, { error: 'must be a whole number from 1 to 1000' })
    .meta({ description: `1 to 1000, default ${DEFAULTS.listLimit}.` })
    .optional(),
  cursor: z
    .string({ error: 'must be given once' })
    .min(1)
    .max(4096, { error: 'is too long' })
    .meta({ description: 'nextCursor of the previous page.' })
    .optional(),
});

export function parseListQuery(query: unknown): ParseResult<ListQuery> {
  const parsed = listQuerySchema.safeParse(query ?? {}, { reportInput: true });
  if (!parsed.success) return { ok: false, errors: fieldErrors(parsed.error) };
  const { type, sub, limit, cursor } = parsed.data;
  return {
    ok: true,
    value: {
      limit: limit ?? DEFAULTS.listLimit,
      ...(type === undefined ? {} : { type }),
      ...(sub === undefined ? {} : { sub }),
      ...(cursor === undefined ? {} : { cursor }),
    },
  };
}

const once = z.string({ error: 'must be given once' });
// parseWaitQuery checks the value; the metadata says the same to the OpenAPI document.
const waitParameter = once
  .meta({ description: 'Answer once every live verifier has applied the change, or at the timeout.', const: 'all' })
  .optional();
const timeoutParameter = once
  .meta({
    description: `How long wait=all waits: 500ms, ${DEFAULTS.waitTimeoutMs / 1000}s (default), at most ${MAX_WAIT_MS / 1000}s; a bare number is seconds.`,
    pattern: DURATION_PATTERN.source,
  })
  .optional();

/** The query of `DELETE /v1/revocations/{type}/{id}`. */
export const reinstateQuerySchema = z.strictObject({ reason: reasonField.optional(), wait: waitParameter, timeout: timeoutParameter });
/** The query of a change (`POST /v1/revocations`, its batch, `/oauth2/revoke`). */
export const changeQuerySchema = z.strictObject({ wait: waitParameter, timeout: timeoutParameter });

export function parseReinstateQuery(query: unknown): ParseResult<{ reason?: string; wait?: WaitRequest }> {
  const parsed = reinstateQuerySchema.safeParse(query ?? {}, { reportInput: true });
  if (!parsed.success) return { ok: false, errors: fieldErrors(parsed.error) };
  const errors: FieldError[] = [];
  const wait = parseWaitQuery(parsed.data.wait, parsed.data.timeout, errors);
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    value: { ...(parsed.data.reason === undefined ? {} : { reason: parsed.data.reason }), ...(wait === undefined ? {} : { wait }) },
  };
}

/** The query of a change: only `wait` and `timeout`. */
export function parseChangeQuery(query: unknown): ParseResult<WaitRequest | undefined> {
  const parsed = changeQuerySchema.safeParse(query ?? {}, { reportInput: true });
  if (!parsed.success) return { ok: false, errors: fieldErrors(parsed.error) };
  const errors: FieldError[] = [];
  const wait = parseWaitQuery(parsed.data.wait, parsed.data.timeout, errors);
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: wait };
}
