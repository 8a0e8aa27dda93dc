import { MAX_ID_LENGTH } from '@revocast/verifier-sdk/protocol';
import type { Tables } from './migrations.js';

/** Names of the CHECK constraints that hold the id rule on the record. */
export const ID_CONSTRAINTS = { id: 'revocations_id_valid', sub: 'revocations_sub_valid' } as const;

/**
 * The protocol's id rule (`idProblem` in `protocol/id.ts`) as an SQL
 * function, generated from {@link MAX_ID_LENGTH}: 1 to MAX_ID_LENGTH UTF-16
 * code units (a character past U+FFFF counts two) and no control characters
 * (C0, DEL, C1). PostgreSQL cannot store a lone surrogate or NUL at all, so
 * the writer checks the string before sending it for those.
 * `migrate` re-creates it on every start, so it never lags behind the
 * constant; `test/revocation-service/store/id-rule-contract.test.ts` feeds
 * it, the Lua copy and `idProblem` the same cases.
 */
export function validIdFunction(t: Tables): string {
  return `CREATE OR REPLACE FUNCTION ${t.schema}.valid_id(p text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
      SELECT p IS NOT NULL AND p <> ''
        -- UTF-16 code units never outnumber UTF-8 bytes: short ids skip the count of astral characters.
        AND (octet_length(p) <= ${MAX_ID_LENGTH}
          OR char_length(p) + char_length(regexp_replace(p, '[^\\U00010000-\\U0010FFFF]', '', 'g')) <= ${MAX_ID_LENGTH})
        AND p !~ '[\\u0001-\\u001f\\u007f-\\u009f]'
    $fn$;`;
}
