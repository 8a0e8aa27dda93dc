import fc from 'fast-check';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MAX_ID_LENGTH, idProblem } from '@revocast/verifier-sdk/protocol';
import type { Verifier } from '@revocast/verifier-sdk';
import { createTokenInspector } from '@revocast/revocation-service';
import {
  ADMIN_SECRET,
  SECRET,
  outcome,
  startService,
  testVerifier,
  uniquePrefix,
  waitFor,
  type ServiceHandle,
} from '../support/fixtures.js';
import { idCandidate } from '../support/hostile-input.js';

/**
 * The id rule end to end, on the shared Redis: ids of every kind (astral,
 * combining marks, controls, lone surrogates, long, at the length limit)
 * are revoked through every route that takes one. Whatever the API answers
 * 2xx for, a verifier that was already running and one started afterwards
 * both reject a token carrying that id; everything else is a 4xx naming
 * the field, never a 5xx.
 */

const redisUrl = inject('redisUrl');
/**
 * Seed-fixed: the floors below on how many inputs reached each outcome check
 * the generators, and must not depend on the draw (a random seed once left
 * one of them a hair from its floor).
 */
const FUZZ_SEED = 20261208;
type Kind = 'token' | 'subject' | 'session';
type Route = 'single' | 'batch' | 'oauth';
const CLAIM: Record<Kind, 'jti' | 'sub' | 'sid'> = { token: 'jti', subject: 'sub', session: 'sid' };

/** A token whose claim for `kind` is `id`, issued before any cutoff set now. */
function tokenWith(kind: Kind, id: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    jti: `j-${now}-${Math.random()}`,
    sub: 'alice',
    sid: `s-${Math.random()}`,
    iat: now - 30,
    exp: now + 600,
    [CLAIM[kind]]: id,
  };
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(SECRET);
}

describe('ids the API accepts are ids every verifier can hold', () => {
  const keyPrefix = uniquePrefix();
  let service: ServiceHandle;
  let running: Verifier;
  /** Every token whose revocation the API accepted, with the offset it was recorded at. */
  const accepted: Array<{ token: string; kind: Kind; id: string }> = [];
  const tally = { accepted: 0, refused: 0 };

  beforeAll(async () => {
    service = await startService({
      redisUrl,
      keyPrefix,
      tokenInspector: createTokenInspector({ algorithms: ['HS256'], secret: new TextDecoder().decode(SECRET) }),
    });
    running = testVerifier({ redis: redisUrl, keyPrefix });
    await running.ready();
  });
  afterAll(async () => {
    await running.close();
    await service.close();
  });

  /**
   * Revokes `id` through `route`; returns the offsets recorded (none when
   * refused), checking every refusal. Through `/oauth2/revoke` the id rides
   * in `sent`, a token whose claim for `kind` is `id`: the endpoint revokes
   * that token's jti and sid, and takes its sub for listing.
   */
  async function revoke(route: Route, kind: Kind, id: string, asListingSub: boolean, sent: string): Promise<number[] | undefined> {
    const exp = Math.floor(Date.now() / 1000) + 600;
    const item: Record<string, unknown> = {
      type: kind,
      [CLAIM[kind]]: asListingSub && kind !== 'subject' ? `plain-${tally.accepted}` : id,
    };
    if (kind === 'token') item.exp = exp;
    if (asListingSub && kind !== 'subject') item.sub = id;
    let res: Response;
    if (route === 'oauth') {
      res = await fetch(`${service.url}/oauth2/revoke`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_SECRET}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: sent }),
      });
    } else {
      res = await service.admin(route === 'single' ? '/v1/revocations' : '/v1/revocations/batch', {
        body: route === 'single' ? item : { items: [item] },
      });
    }
    const text = await res.text();
    expect(res.status, `never a 5xx: ${text}`).toBeLessThan(500);
    if (res.status >= 200 && res.status < 300) {
      if (route === 'oauth') return ((JSON.parse(text) as { revoked: Array<{ offset: number }> }).revoked ?? []).map((r) => r.offset);
      if (route === 'batch')
        return [(JSON.parse(text) as { offsets: { last: number } | null; items: Array<{ offset: number }> }).items[0]?.offset as number];
      return [(JSON.parse(text) as { offset: number }).offset];
    }
    expect(res.status, text).toBe(400);
    const field = asListingSub && kind !== 'subject' ? 'sub' : CLAIM[kind];
    if (route === 'oauth') {
      // The token was verified; its id claim is what cannot be revoked, and the answer says which.
      expect(JSON.parse(text)).toMatchObject({
        error: 'unsupported_token_type',
        error_description: expect.stringMatching(new RegExp(`\\b(${CLAIM[kind]}|sid|jti)\\b`)),
      });
    } else {
      const problem = JSON.parse(text) as { errors: Array<{ field: string }> };
      expect(problem.errors.map((e) => e.field)).toContain(route === 'batch' ? `items.0.${field}` : field);
    }
    return undefined;
  }

  it('answers 400 naming the field for 129 emoji (258 UTF-16 code units), which it used to accept', async () => {
    const res = await service.admin('/v1/revocations', {
      body: { type: 'token', jti: '😀'.repeat(129), exp: Math.floor(Date.now() / 1000) + 600 },
    });
    expect(res.status).toBe(400);
    const problem = (await res.json()) as { detail: string; errors: Array<{ field: string; message: string }> };
    expect(problem.errors).toEqual([{ field: 'jti', message: expect.stringMatching(/at most 256 UTF-16 code units/) }]);
    expect(
      (await service.admin('/v1/revocations', { body: { type: 'token', jti: '😀'.repeat(128), exp: Math.floor(Date.now() / 1000) + 600 } }))
        .status,
    ).toBe(201);
  });

  it('whatever the API accepted, the running verifier rejects; the rest is a 4xx naming the field', async () => {
    await fc.assert(
      fc.asyncProperty(
        idCandidate(MAX_ID_LENGTH),
        fc.constantFrom<Kind>('token', 'subject', 'session'),
        fc.constantFrom<Route>('single', 'batch', 'oauth'),
        fc.boolean(),
        async (id, kind, route, asListingSub) => {
          const listing = asListingSub && route !== 'oauth';
          const sent = await tokenWith(kind, id);
          const offsets = await revoke(route, kind, id, listing, sent);
          if (offsets === undefined || offsets.length === 0) {
            tally.refused++;
            return;
          }
          tally.accepted++;
          // The listing `sub` of a token or session is not a revocation of that subject.
          if (listing && kind !== 'subject') return;
          const last = Math.max(...offsets);
          await waitFor(() => running.status.offset >= last, 10_000);
          // Through OAuth the token sent is what was revoked; otherwise any token carrying the id.
          const token = route === 'oauth' ? sent : await tokenWith(kind, id);
          expect(await outcome(running, token), `${kind} ${JSON.stringify(id)} via ${route}`).toBe('ERR_TOKEN_REVOKED');
          accepted.push({ token, kind, id });
        },
      ),
      { seed: FUZZ_SEED, numRuns: 250 },
    );
    // The generator must exercise both sides of the rule.
    expect(tally.accepted).toBeGreaterThan(20);
    expect(tally.refused).toBeGreaterThan(20);
  });

  it('a verifier started afterwards rejects every token whose revocation was accepted', async () => {
    expect(accepted.length).toBeGreaterThan(0);
    const fresh = testVerifier({ redis: redisUrl, keyPrefix });
    try {
      await fresh.ready();
      for (const { token, kind, id } of accepted)
        expect(await outcome(fresh, token), `${kind} ${JSON.stringify(id)}`).toBe('ERR_TOKEN_REVOKED');
    } finally {
      await fresh.close();
    }
  });
});

describe('every route that names an id checks it with the same rule', () => {
  const keyPrefix = uniquePrefix();
  let service: ServiceHandle;

  beforeAll(async () => {
    service = await startService({ redisUrl, keyPrefix });
  });
  afterAll(async () => {
    await service.close();
  });

  /** What the server receives for `id` sent as UTF-8 (a lone surrogate cannot be sent: it arrives as U+FFFD). */
  const received = (id: string) => Buffer.from(id).toString('utf8');
  const percent = (id: string) => [...Buffer.from(id)].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');

  it('show, reinstate and the list filter answer 400 naming the field exactly when the id rule says no, never a 5xx', async () => {
    await fc.assert(
      // An empty path segment is another route, and URL clients resolve "." and ".." (even percent-encoded) before sending.
      fc.asyncProperty(
        idCandidate(MAX_ID_LENGTH).filter((id) => !['', '.', '..'].includes(id)),
        fc.constantFrom<Kind>('token', 'subject', 'session'),
        async (id, kind) => {
          const valid = idProblem(received(id)) === undefined;
          const answers = [
            { res: await service.admin(`/v1/revocations/${kind}/${percent(id)}`), field: 'id', ok: 404 },
            { res: await service.admin(`/v1/revocations/${kind}/${percent(id)}`, { method: 'DELETE' }), field: 'id', ok: 404 },
            { res: await service.admin(`/v1/revocations?sub=${percent(id)}`), field: 'sub', ok: 200 },
          ];
          for (const { res, field, ok } of answers) {
            const text = await res.text();
            expect(res.status, text).toBeLessThan(500);
            if (valid) expect(res.status, `${JSON.stringify(id)}: ${text}`).toBe(ok);
            else {
              expect(res.status, text).toBe(400);
              expect((JSON.parse(text) as { errors: Array<{ field: string }> }).errors.map((e) => e.field)).toContain(field);
            }
          }
        },
      ),
      { seed: FUZZ_SEED, numRuns: 100 },
    );
  });
});
