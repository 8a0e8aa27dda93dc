export { MAX_ID_LENGTH } from './id.js';

/** The three things that can be revoked, named after what an admin revokes. */
export type RevocationType = 'token' | 'subject' | 'session';

export const REVOCATION_TYPES: readonly RevocationType[] = ['token', 'subject', 'session'];

/** The JWT claim each revocation type matches against. */
export const CLAIM_OF_TYPE = {
  token: 'jti',
  subject: 'sub',
  session: 'sid',
} as const satisfies Record<RevocationType, string>;

/**
 * What a verifier needs to know about one live revocation.
 *
 * `pruneAt` is when the revocation stops mattering: the token's `exp` for a
 * token, the cutoff plus the maximum token lifetime for a subject. Verifiers
 * keep the entry until `pruneAt` plus their clock tolerance.
 */
export interface Entry {
  readonly type: RevocationType;
  readonly id: string;
  /** Epoch milliseconds. */
  readonly pruneAt: number;
  /** Subject revocations only: tokens with `iat` at or before this (epoch ms) are revoked. */
  readonly cutoff?: number;
}

/** Between the claim and the id in a member name. */
export const MEMBER_SEPARATOR = ':';

/** A Map, so a prefix such as `constructor` finds nothing inherited. */
const TYPE_OF_CLAIM: ReadonlyMap<string, RevocationType> = new Map(REVOCATION_TYPES.map((type) => [CLAIM_OF_TYPE[type], type]));

/** The Redis member name of an entry: `jti:<id>`, `sub:<id>` or `sid:<id>` (the claim it matches, {@link MEMBER_SEPARATOR}, the id). */
export function memberOf(type: RevocationType, id: string): string {
  return `${CLAIM_OF_TYPE[type]}${MEMBER_SEPARATOR}${id}`;
}

/** Inverse of {@link memberOf}; `undefined` for anything else (an unknown claim, no separator, an empty id). */
export function parseMember(member: string): { type: RevocationType; id: string } | undefined {
  const separator = member.indexOf(MEMBER_SEPARATOR);
  if (separator < 0) return undefined;
  const type = TYPE_OF_CLAIM.get(member.slice(0, separator));
  const id = member.slice(separator + MEMBER_SEPARATOR.length);
  if (type === undefined || id.length === 0) return undefined;
  return { type, id };
}

export function isRevocationType(value: unknown): value is RevocationType {
  return value === 'token' || value === 'subject' || value === 'session';
}
