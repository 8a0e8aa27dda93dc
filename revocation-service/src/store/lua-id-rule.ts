import { MAX_ID_LENGTH } from '@revocast/verifier-sdk/protocol';

/**
 * The protocol's id rule (`idProblem` in `protocol/id.ts`) as a Lua
 * function, generated from {@link MAX_ID_LENGTH}, so the Redis writers refuse
 * what the service's validation refuses even when a caller skipped it.
 *
 * Lua sees the UTF-8 bytes Redis received. It accepts only well-formed
 * UTF-8 (no overlong forms, no encoded surrogates, nothing past U+10FFFF),
 * no control characters (C0, DEL, C1), and counts UTF-16 code units: one per
 * character, two for a character outside the BMP. A lone surrogate in a
 * JavaScript string reaches Redis as U+FFFD, which this cannot tell from a
 * real one: the writers check the string before sending it for that.
 * `test/revocation-service/store/id-rule-contract.test.ts` feeds the same
 * cases to this, to the SQL copy and to `idProblem`.
 */
export const LUA_VALID_ID = `local function valid_id(s)
  local n = #s
  if n == 0 or n > ${MAX_ID_LENGTH * 3} then return false end
  local units, i = 0, 1
  while i <= n do
    local b = string.byte(s, i)
    local len, cp
    if b < 128 then
      if b < 32 or b == 127 then return false end
      len, cp = 1, b
    elseif b >= 194 and b <= 223 then len, cp = 2, b - 192
    elseif b >= 224 and b <= 239 then len, cp = 3, b - 224
    elseif b >= 240 and b <= 244 then len, cp = 4, b - 240
    else return false end
    if i + len - 1 > n then return false end
    for k = i + 1, i + len - 1 do
      local c = string.byte(s, k)
      if c < 128 or c > 191 then return false end
      cp = cp * 64 + (c - 128)
    end
    if len == 3 and (cp < 2048 or (cp >= 55296 and cp <= 57343)) then return false end
    if len == 4 and (cp < 65536 or cp > 1114111) then return false end
    if cp >= 128 and cp <= 159 then return false end
    if len == 4 then units = units + 2 else units = units + 1 end
    i = i + len
  end
  return units <= ${MAX_ID_LENGTH}
end`;

/** Prefix of the error a writer script answers when it refuses an id: `REVOCAST_INVALID_ID <field>`. */
export const LUA_INVALID_ID = 'REVOCAST_INVALID_ID';
