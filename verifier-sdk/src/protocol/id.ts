/**
 * The one definition of a valid revocation id (a `jti`, `sub` or `sid`),
 * used by the service's validation, the writers, the change decoder and
 * the verifier's checks, so an id one side accepts the other can hold.
 *
 * - Length is counted in UTF-16 code units (JavaScript's `length`), 1 to
 *   {@link MAX_ID_LENGTH}: an astral character such as an emoji counts two.
 * - No control characters (C0, DEL, C1): they break logs and headers.
 * - Well-formed Unicode, no lone surrogates: Redis and PostgreSQL store
 *   UTF-8, where a lone surrogate becomes U+FFFD and two ids would become one.
 * - No normalisation: ids are compared exactly as the token carries them,
 *   code unit by code unit ("é" and "e\u0301" are two ids).
 */

/** Longest id (jti, sub or sid) accepted anywhere in Revocast, in UTF-16 code units. */
export const MAX_ID_LENGTH = 256;

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/** With the u flag this matches only surrogates that are not part of a pair. */
const LONE_SURROGATE = /[\ud800-\udfff]/u;

/** Why `value` is not a valid id, as a phrase to follow the field name; `undefined` when it is one. */
export function idProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'must be a string';
  if (value.length === 0) return 'must not be empty';
  if (value.length > MAX_ID_LENGTH)
    return `must be at most ${MAX_ID_LENGTH} UTF-16 code units (an astral character such as an emoji counts 2)`;
  if (CONTROL.test(value)) return 'must not contain control characters';
  if (LONE_SURROGATE.test(value)) return 'must be well-formed Unicode (no lone surrogates)';
  return undefined;
}

/** True when `value` is a valid id; see {@link idProblem}. */
export function isValidId(value: unknown): value is string {
  return idProblem(value) === undefined;
}
