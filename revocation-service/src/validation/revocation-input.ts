import { z } from 'zod';
import type { RevocationInput } from '../model/revocation.js';
import { epochSecondsField, fieldErrors, idField, reasonField, typeField, type FieldError } from './fields.js';

const schemas = {
  token: z.strictObject({
    type: z.literal('token'),
    jti: idField,
    exp: epochSecondsField,
    sub: idField.optional(),
    reason: reasonField.optional(),
  }),
  subject: z.strictObject({
    type: z.literal('subject'),
    sub: idField,
    before: epochSecondsField.optional(),
    reason: reasonField.optional(),
  }),
  session: z.strictObject({
    type: z.literal('session'),
    sid: idField,
    exp: epochSecondsField.optional(),
    sub: idField.optional(),
    reason: reasonField.optional(),
  }),
};

/** The body of `POST /v1/revocations`, one shape per type; the OpenAPI document is generated from it. */
export const revocationInputSchema = z.discriminatedUnion('type', [schemas.token, schemas.subject, schemas.session]);

/** How far in the future a subject cutoff may lie, to allow for clock skew. */
const CUTOFF_SKEW_MS = 60_000;

export type ParseResult<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** Parses one revocation request body. `prefix` names its place in a batch ("items.3."). */
export function parseRevocationInput(body: unknown, now: number, prefix = ''): ParseResult<RevocationInput> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, errors: [{ field: prefix === '' ? '(body)' : prefix.slice(0, -1), message: 'must be a JSON object' }] };
  }
  const type = typeField.safeParse((body as { type?: unknown }).type);
  if (!type.success) {
    const message = (body as { type?: unknown }).type === undefined ? 'is required' : 'must be one of "token", "subject", "session"';
    return { ok: false, errors: [{ field: `${prefix}type`, message }] };
  }
  const parsed = schemas[type.data].safeParse(body, { reportInput: true });
  if (!parsed.success) return { ok: false, errors: fieldErrors(parsed.error, prefix) };
  const input = dropUndefined(parsed.data) as RevocationInput;
  if (input.type === 'subject' && input.before !== undefined && input.before * 1000 > now + CUTOFF_SKEW_MS) {
    return { ok: false, errors: [{ field: `${prefix}before`, message: 'must not be in the future' }] };
  }
  return { ok: true, value: input };
}
