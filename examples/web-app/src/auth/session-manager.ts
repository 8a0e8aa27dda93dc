import { randomUUID } from 'node:crypto';
import { RevocastError, type Logger, type Verifier } from '@revocast/verifier-sdk';
import type { RevocationClient } from '../revocation-client.js';
import type { AppStore, Session } from '../store/app-store.js';
import { createAccessTokenSigner } from './access-token.js';
import { verifyAgainstDecoy, verifyPassword, hashPassword } from './passwords.js';
import { newRefreshToken, refreshTokenHash } from './refresh-token.js';

/** What a browser holds for one sign-in. */
export interface Credentials {
  readonly accessToken: string;
  /** Absent for API sign-ins, which get an access token only. */
  readonly refreshToken?: string;
  readonly session: Session;
}

/** The signed-in user of a request. */
export interface CurrentUser {
  readonly sub: string;
  readonly sid: string;
}

/** Why a request is not signed in: no credentials, a sign-in that was ended, or a refresh token used twice. */
export type SignedOutReason = 'missing' | 'signed-out' | 'reuse';

export type Authentication =
  | { readonly ok: true; readonly user: CurrentUser; readonly renewed?: Credentials }
  | { readonly ok: false; readonly reason: SignedOutReason };

export interface SessionManagerDeps {
  readonly store: AppStore;
  readonly verifier: Verifier;
  readonly revocations: RevocationClient;
  readonly signingSecret: string;
  /** Seconds. */
  readonly accessTokenTtl: number;
  /** Seconds; also how long an idle sign-in is remembered. */
  readonly refreshTokenTtl: number;
  readonly clock: () => number;
  readonly logger: Logger;
}

/**
 * Sign-ins, refreshes and sign-outs. Access tokens are checked by the
 * verifier alone (a local lookup); the store is consulted only to refresh,
 * and every revocation goes through the revocation service so that all
 * instances of the app honour it.
 */
export function createSessionManager(deps: SessionManagerDeps) {
  const { store, verifier, revocations, clock, logger } = deps;
  const sign = createAccessTokenSigner(deps.signingSecret, deps.accessTokenTtl);
  const refreshTtlMs = deps.refreshTokenTtl * 1000;

  /** A sign-in ended by a subject or session revocation (an admin's, another instance's) is over. */
  function revoked(session: Session): boolean {
    return verifier.isRevoked({ sub: session.sub, sid: session.sid, iat: session.createdAt / 1000 });
  }

  async function issue(session: Session, now: number, withRefresh: boolean): Promise<Credentials> {
    const accessToken = await sign({ sub: session.sub, sid: session.sid, signedInAt: session.createdAt }, now);
    if (!withRefresh) return { accessToken, session };
    const refreshToken = newRefreshToken();
    await store.saveRefreshToken(refreshTokenHash(refreshToken), session, refreshTtlMs);
    return { accessToken, refreshToken, session };
  }

  /** A new sign-in. `notBefore` (epoch ms) puts it after a subject cutoff: the SDK compares `iat` and the cutoff inclusively, in ms. */
  async function startSession(
    sub: string,
    name: string,
    options: { notBefore?: number; withRefresh?: boolean } = {},
  ): Promise<Credentials> {
    const now = clock();
    const withRefresh = options.withRefresh ?? true;
    const createdAt = Math.max(now, options.notBefore ?? 0);
    const session: Session = { sid: randomUUID(), sub, name, createdAt, lastSeenAt: now };
    await store.saveSession(session, withRefresh ? refreshTtlMs : deps.accessTokenTtl * 1000);
    return issue(session, now, withRefresh);
  }

  async function checkPassword(username: string, password: string): Promise<boolean> {
    const hash = await store.passwordHash(username);
    return hash === null ? verifyAgainstDecoy(password) : verifyPassword(password, hash);
  }

  /** Revokes the subject, forgets every sign-in, and signs the current device in again after the cutoff. */
  async function renewEverywhere(user: CurrentUser, reason: string, beforeForgetting?: () => Promise<void>): Promise<Credentials> {
    const current = await store.session(user.sid);
    const { cutoff } = await revocations.revokeSubject({ sub: user.sub, reason });
    await beforeForgetting?.();
    await store.deleteSessionsOf(user.sub);
    return startSession(user.sub, current?.name ?? 'this device', { notBefore: cutoff + 1 });
  }

  async function refresh(refreshToken: string | undefined): Promise<Authentication> {
    if (refreshToken === undefined) return { ok: false, reason: 'missing' };
    const now = clock();
    const claim = await store.claimRefreshToken(refreshTokenHash(refreshToken), now);
    if (claim === null) return { ok: false, reason: 'signed-out' };
    if (claim.status === 'reused') {
      // Two parties hold this sign-in's refresh token: end it for both.
      logger.warn({ sid: claim.sid, sub: claim.sub }, 'refresh token used twice: revoking the session');
      await store.deleteSession(claim);
      await revocations.revokeSession({ sid: claim.sid, sub: claim.sub, reason: 'refresh token reused' }).catch((err: unknown) => {
        // The session is gone from the store, so it cannot be refreshed again; its access tokens run out on their own.
        logger.error(
          { sid: claim.sid, err: { message: (err as Error).message } },
          'could not revoke the session of a reused refresh token',
        );
      });
      return { ok: false, reason: 'reuse' };
    }
    const session = await store.session(claim.sid);
    if (session === null || session.sub !== claim.sub) return { ok: false, reason: 'signed-out' };
    if (revoked(session)) {
      await store.deleteSession(session);
      return { ok: false, reason: 'signed-out' };
    }
    if (!(await store.touchSession(session, now, refreshTtlMs))) return { ok: false, reason: 'signed-out' };
    const renewed = await issue({ ...session, lastSeenAt: now }, now, true);
    return { ok: true, user: { sub: session.sub, sid: session.sid }, renewed };
  }

  return {
    /** Checks the user name and password and starts a named sign-in; `null` when they do not match. */
    async signIn(
      username: string,
      password: string,
      deviceName: string,
      options: { withRefresh?: boolean } = {},
    ): Promise<Credentials | null> {
      if (!(await checkPassword(username, password))) return null;
      return startSession(username, deviceName, options);
    },

    /**
     * Who is signed in: by the access token while it is valid and not
     * revoked, else by rotating the refresh token. Throws `ERR_LIST_STALE`
     * (503) while the revocation list is not current: it fails closed.
     */
    async authenticate(accessToken: string | undefined, refreshToken: string | undefined): Promise<Authentication> {
      if (accessToken !== undefined) {
        try {
          const claims = await verifier.verify(accessToken);
          // The SDK allows a few seconds of clock skew past exp; the app refreshes as soon as exp passes.
          if (typeof claims.sub === 'string' && typeof claims.sid === 'string' && (claims.exp ?? 0) * 1000 > clock()) {
            return { ok: true, user: { sub: claims.sub, sid: claims.sid } };
          }
        } catch (err) {
          // Expired, revoked or invalid: the refresh token decides. Anything else (a stale list) is not a sign-out.
          if (!(err instanceof RevocastError) || err.status !== 401) throw err;
        }
      }
      return refresh(refreshToken);
    },

    /** The user's sign-ins still in force, oldest first. Ones revoked meanwhile are forgotten. */
    async devices(sub: string): Promise<Session[]> {
      const live: Session[] = [];
      for (const session of await store.sessionsOf(sub)) {
        if (revoked(session)) await store.deleteSession(session);
        else live.push(session);
      }
      return live.sort((a, b) => a.createdAt - b.createdAt);
    },

    session: (sid: string) => store.session(sid),

    /** Revokes one of the user's sign-ins; false when the user has no such sign-in. */
    async signOutDevice(sub: string, sid: string): Promise<boolean> {
      const session = await store.session(sid);
      if (session === null || session.sub !== sub) return false;
      await revocations.revokeSession({ sid, sub, reason: 'signed out by the user' });
      await store.deleteSession(session);
      return true;
    },

    /** Revokes every token of the user; this device gets a fresh sign-in at once. */
    signOutEverywhere: (user: CurrentUser) => renewEverywhere(user, 'signed out everywhere'),

    /** Changes the password and revokes every token of the user; this device gets a fresh sign-in at once. */
    async changePassword(user: CurrentUser, currentPassword: string, newPassword: string): Promise<Credentials | 'wrong-password'> {
      if (!(await checkPassword(user.sub, currentPassword))) return 'wrong-password';
      const hash = await hashPassword(newPassword);
      // Revoke first: if the service cannot be reached, nothing has changed.
      return renewEverywhere(user, 'password changed', () => store.setPasswordHash(user.sub, hash));
    },
  };
}

export type SessionManager = ReturnType<typeof createSessionManager>;
