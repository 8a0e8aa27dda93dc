import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { HttpProblem } from './problem.js';

/** An admin API key: the name goes into the audit log, the secret never does. */
export interface AdminKey {
  readonly name: string;
  readonly secret: string;
}

const CHALLENGE = { 'WWW-Authenticate': 'Bearer realm="revocast-admin"' };

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * Requires `Authorization: Bearer <secret>` matching one of `keys` and puts
 * the key's name in `res.locals.actor`. Secrets are compared as SHA-256
 * digests with `timingSafeEqual`, against every key, so neither the length
 * nor the position of a match shows in the timing. With no keys configured
 * every call is refused.
 */
export function adminAuth(keys: readonly AdminKey[], onFailure: () => void): RequestHandler {
  const digests = keys.map((key) => ({ name: key.name, digest: digest(key.secret) }));
  return (req, res, next) => {
    if (digests.length === 0) {
      onFailure();
      throw new HttpProblem(401, 'ERR_UNAUTHORIZED', 'the admin API is closed: no admin keys are configured (REVOCAST_ADMIN_KEYS)', {
        headers: CHALLENGE,
      });
    }
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(req.headers.authorization ?? '');
    if (match === null) {
      onFailure();
      throw new HttpProblem(401, 'ERR_UNAUTHORIZED', 'send an admin key as "Authorization: Bearer <secret>"', { headers: CHALLENGE });
    }
    const presented = digest(match[1] as string);
    let actor: string | undefined;
    for (const key of digests) {
      if (timingSafeEqual(presented, key.digest) && actor === undefined) actor = key.name;
    }
    if (actor === undefined) {
      onFailure();
      throw new HttpProblem(401, 'ERR_UNAUTHORIZED', 'the admin key is not valid', { headers: CHALLENGE });
    }
    res.locals.actor = actor;
    next();
  };
}
