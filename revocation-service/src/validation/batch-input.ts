import { z } from 'zod';
import type { RevocationInput } from '../model/revocation.js';
import type { FieldError } from './fields.js';
import { parseRevocationInput, revocationInputSchema, type ParseResult } from './revocation-input.js';

/** Most revocations one batch request may carry. */
export const MAX_BATCH_ITEMS = 10_000;

/**
 * The body of `POST /v1/revocations/batch`, for the OpenAPI document.
 * {@link parseBatchInput} accepts exactly this, but checks it item by item
 * so that every problem is named `items.<index>.<field>`.
 */
export const batchInputSchema = z.strictObject({ items: z.array(revocationInputSchema).min(1).max(MAX_BATCH_ITEMS) });

/**
 * Parses `{ "items": [revocation, …] }`. Each item follows the rules of the
 * single endpoint, and its problems are named `items.<index>.<field>`.
 */
export function parseBatchInput(body: unknown, now: number): ParseResult<RevocationInput[]> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, errors: [{ field: '(body)', message: 'must be a JSON object with "items"' }] };
  }
  const errors: FieldError[] = [];
  for (const key of Object.keys(body)) if (key !== 'items') errors.push({ field: key, message: 'is not a known field' });
  const items = (body as { items?: unknown }).items;
  if (items === undefined) errors.push({ field: 'items', message: 'is required' });
  else if (!Array.isArray(items)) errors.push({ field: 'items', message: 'must be an array of revocations' });
  else if (items.length === 0) errors.push({ field: 'items', message: 'must hold at least one revocation' });
  else if (items.length > MAX_BATCH_ITEMS) errors.push({ field: 'items', message: `must hold at most ${MAX_BATCH_ITEMS} revocations` });
  if (errors.length > 0 || !Array.isArray(items)) return { ok: false, errors };

  // Every problem is collected; validationProblem lists the first ones and counts the rest.
  const inputs: RevocationInput[] = [];
  for (let i = 0; i < items.length; i++) {
    const parsed = parseRevocationInput(items[i], now, `items.${i}.`);
    if (parsed.ok) inputs.push(parsed.value);
    else errors.push(...parsed.errors);
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: inputs };
}
