import { invalidOptions } from '../errors.js';

/** Printable ASCII without `"` and `\\`: what a quoted header parameter can hold as it is. */
const QUOTABLE = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/**
 * The `error_description` of each refusal: fixed text only. An error's
 * message may quote the token (jose names a `crit` header as written), and
 * attacker text in a header either breaks it or makes `setHeader` throw.
 */
const DESCRIPTIONS: Readonly<Record<string, string>> = {
  ERR_TOKEN_EXPIRED: 'the token has expired',
  ERR_TOKEN_REVOKED: 'the token has been revoked',
};
const INVALID_DESCRIPTION = 'the token is invalid';

/** Builds the `WWW-Authenticate` value for a refusal; see {@link bearerChallenge}. */
export type BearerChallenge = (error?: { readonly code: string; readonly status: number }) => string;

/**
 * A builder of RFC 6750 `WWW-Authenticate` challenges for `realm`. The realm
 * is checked once, here; every challenge is made of that realm and fixed
 * text, whatever the error's message says.
 *
 * - no error, a missing token (`ERR_TOKEN_MISSING`) or a refusal that is not
 *   a 401 (`ERR_LIST_STALE`, 503): `Bearer realm="api"`, without an error
 *   code, as RFC 6750 §3.1 asks when the token was not judged;
 * - any other 401: `Bearer realm="api", error="invalid_token",
 *   error_description="the token has expired"` (or `"has been revoked"`,
 *   or `"is invalid"`).
 *
 * @param realm Default `"api"`. Printable ASCII without `"` or `\`, else
 *   it throws `ERR_INVALID_OPTIONS`.
 * @example
 * ```ts
 * const challenge = bearerChallenge('api');
 * res.setHeader('WWW-Authenticate', challenge(err));
 * ```
 */
export function bearerChallenge(realm = 'api'): BearerChallenge {
  if (typeof realm !== 'string' || !QUOTABLE.test(realm)) {
    throw invalidOptions('realm: use printable ASCII without quotes or backslashes');
  }
  const bare = `Bearer realm="${realm}"`;
  const judged = (description: string) => `${bare}, error="invalid_token", error_description="${description}"`;
  const byCode = new Map(Object.entries(DESCRIPTIONS).map(([code, description]) => [code, judged(description)]));
  const invalid = judged(INVALID_DESCRIPTION);
  return (error) => {
    if (error === undefined || error.status !== 401 || error.code === 'ERR_TOKEN_MISSING') return bare;
    return byCode.get(error.code) ?? invalid;
  };
}
