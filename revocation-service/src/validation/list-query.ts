import { z } from 'zod';
import type { ListQuery } from '../store/revocation-store.js';
import type { WaitRequest } from '../actions/revocation-actions.js';
import { fieldErrors, idField, reasonField, typeField, type FieldError } from './fields.js';
import { parseWaitQuery } from './wait-query.js';
import type { ParseResult } from './revocation-input.js';

const schema = z.strictObject({
  type: typeField.optional(),
  sub: idField.optional(),
  limit: z
    .string({ error: 'must be given once' })
    .regex(/^\d{1,4}$/, { error: 'must be a whole number from 1 to 1000' })
    .transform(Number)
    .refine((n) => n >= 1 && n <= 1000, { error: 'must be a whole number from 1 to 1000' })
    .optional(),
  cursor: z.string({ error: 'must be given once' }).min(1).max(4096, { error: 'is too long' }).optional(),
});

export function parseListQuery(query: unknown): ParseResult<ListQuery> {
  const parsed = schema.safeParse(query ?? {}, { reportInput: true });
  if (!parsed.success) return { ok: false, errors: fieldErrors(parsed.error) };
  const { type, sub, limit, cursor } = parsed.data;
  return {
    ok: true,
    value: {
      limit: limit ?? 100,
      ...(type === undefined ? {} : { type }),
      ...(sub === undefined ? {} : { sub }),
      ...(cursor === undefined ? {} : { cursor }),
    },
  };
}

const once = z.string({ error: 'must be given once' });
const reinstateSchema = z.strictObject({ reason: reasonField.optional(), wait: once.optional(), timeout: once.optional() });
const waitSchema = z.strictObject({ wait: once.optional(), timeout: once.optional() });

export function parseReinstateQuery(query: unknown): ParseResult<{ reason?: string; wait?: WaitRequest }> {
  const parsed = reinstateSchema.safeParse(query ?? {}, { reportInput: true });
  if (!parsed.success) return { ok: false, errors: fieldErrors(parsed.error) };
  const errors: FieldError[] = [];
  const wait = parseWaitQuery(parsed.data.wait, parsed.data.timeout, errors);
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, value: { ...(parsed.data.reason === undefined ? {} : { reason: parsed.data.reason }), ...(wait === undefined ? {} : { wait }) } };
}

/** The query of a change: only `wait` and `timeout`. */
export function parseChangeQuery(query: unknown): ParseResult<WaitRequest | undefined> {
  const parsed = waitSchema.safeParse(query ?? {}, { reportInput: true });
  if (!parsed.success) return { ok: false, errors: fieldErrors(parsed.error) };
  const errors: FieldError[] = [];
  const wait = parseWaitQuery(parsed.data.wait, parsed.data.timeout, errors);
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: wait };
}
