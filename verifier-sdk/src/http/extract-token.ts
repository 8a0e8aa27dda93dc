/**
 * The two request headers a token can come from. Node's `req.headers`
 * (Express, Fastify, Koa) fits as it is; with Fetch `Headers` (Hono) pass
 * `{ authorization: headers.get('authorization'), cookie: headers.get('cookie') }`.
 */
export interface TokenHeaders {
  readonly authorization?: string | null | undefined;
  readonly cookie?: string | null | undefined;
}

/** RFC 6750 §2.1: the scheme, then a b64token. Anything else is no bearer token at all. */
const BEARER = /^Bearer[ \t]+([A-Za-z0-9\-._~+/]+=*)[ \t]*$/i;

/**
 * The token of an `Authorization: Bearer …` header value, or `undefined`
 * when the value is absent or not a bearer credential.
 *
 * @example
 * ```ts
 * bearerToken('Bearer eyJhbGciOi…'); // 'eyJhbGciOi…'
 * bearerToken('Basic dXNlcjpwYXNz'); // undefined
 * ```
 */
export function bearerToken(authorization: string | null | undefined): string | undefined {
  if (typeof authorization !== 'string') return undefined;
  return BEARER.exec(authorization)?.[1];
}

/**
 * The value of cookie `name` in a `Cookie` header value (percent-decoded,
 * surrounding quotes removed), or `undefined`.
 *
 * @example
 * ```ts
 * cookieValue('theme=dark; access_token=eyJ…', 'access_token'); // 'eyJ…'
 * ```
 */
export function cookieValue(cookie: string | null | undefined, name: string): string | undefined {
  if (typeof cookie !== 'string') return undefined;
  for (const part of cookie.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    try {
      return decodeURIComponent(value);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * The token of a request: the `Authorization: Bearer` header first, then
 * cookie `cookie` when one is named; `undefined` when there is neither.
 * An `Authorization` header that is not a bearer credential counts as none,
 * so the cookie is still read.
 *
 * @example
 * ```ts
 * const token = extractToken(req.headers, 'access_token');
 * ```
 */
export function extractToken(headers: TokenHeaders, cookie?: string): string | undefined {
  return bearerToken(headers.authorization) ?? (cookie === undefined ? undefined : cookieValue(headers.cookie, cookie));
}
