import { z } from 'zod';
import type { ListQuery } from '../store/revocation-store.js';
import { fieldErrors, idField, reasonField, typeField } from './fields.js';
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

const reinstateSchema = z.strictObject({ reason: reasonField.optional() });

export function parseReinstateQuery(query: unknown): ParseResult<{ reason?: string }> {
  const parsed = reinstateSchema.safeParse(query ?? {}, { reportInput: true });
  if (!parsed.success) return { ok: false, errors: fieldErrors(parsed.error) };
  return { ok: true, value: parsed.data.reason === undefined ? {} : { reason: parsed.data.reason } };
}
