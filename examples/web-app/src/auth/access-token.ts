import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';

/** Signs the app's HS256 access tokens. */
export type AccessTokenSigner = (
  claims: { readonly sub: string; readonly sid: string; readonly signedInAt: number },
  now: number,
) => Promise<string>;

/**
 * Access tokens carry `sub`, `sid` and a fresh `jti`. Their `iat` is the
 * moment of sign-in, to the millisecond, not the moment of the refresh: a
 * subject cutoff then revokes every token of every sign-in before it, even a
 * token refreshed an instant after the cutoff by an instance that had not
 * heard of it yet.
 */
export function createAccessTokenSigner(signingSecret: string, ttlSeconds: number): AccessTokenSigner {
  const key = new TextEncoder().encode(signingSecret);
  return (claims, now) =>
    new SignJWT({ sid: claims.sid })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(claims.sub)
      .setJti(randomUUID())
      .setIssuedAt(claims.signedInAt / 1000)
      .setExpirationTime(Math.floor(now / 1000) + ttlSeconds)
      .sign(key);
}
