import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { TokenRevokedError, type Verifier } from '@revocast/verifier-sdk';
import { signToken, startService, testVerifier, uniquePrefix, waitFor, type ServiceHandle } from '../../support/fixtures.js';
import { SAFE_HEADER, hostileAuthorization } from '../../support/hostile-authorization.js';

/** One answer of a framework, as its own test tool (or a socket) saw it. */
export interface Answer {
  readonly status: number;
  /** Response headers, names in lower case. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The body parsed as JSON, or the text when it is not JSON. */
  readonly body: unknown;
}

/** Sends `GET path` with these request headers. */
export type Client = (path: string, headers: Readonly<Record<string, string>>) => Promise<Answer>;

export interface StartedApp {
  readonly request: Client;
  close(): Promise<void>;
}

/** What a refusal body says, read the framework's way. */
export interface Refusal {
  readonly code: unknown;
  readonly message: unknown;
  /** The revocation reason, where the framework's body carries it. */
  readonly reason?: unknown;
}

export interface IntegrationUnderTest {
  /** Builds the framework's sample app on `verifier`: GET /me answers `{ sub }` from the claims. */
  start(verifier: Verifier): Promise<StartedApp>;
  /** Reads code, message (and reason) from a refusal's body. */
  refusal(body: unknown): Refusal;
  /** Whether the refusal body names the revocation reason (Fastify's default error body has no room for it). */
  readonly carriesReason: boolean;
}

/** The sample apps use realm "example" and cookie "access_token". */
const BARE = 'Bearer realm="example"';
const judged = (description: string) => `${BARE}, error="invalid_token", error_description="the token ${description}"`;

/** A client for an app served on a real socket, sending header values as raw latin1 bytes. */
export function socketClient(server: Server): Client {
  const { port } = server.address() as AddressInfo;
  return (path, headers) =>
    new Promise((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const out: Record<string, string | undefined> = {};
          for (const [name, value] of Object.entries(res.headers)) out[name] = Array.isArray(value) ? value.join(', ') : value;
          resolve({ status: res.statusCode ?? 0, headers: out, body: parseBody(Buffer.concat(chunks).toString('utf8')) });
        });
      });
      req.on('error', reject);
      req.end();
    });
}

export function parseBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Listens on a free loopback port. */
export function listen(server: Server): Promise<Server> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

export async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

/**
 * The behaviour every framework integration owes its users, on real Redis
 * with revocations made through the service's admin API.
 */
export function integrationSuite(name: string, integration: IntegrationUnderTest): void {
  describe(`${name}: a request`, () => {
    const redisUrl = inject('redisUrl');
    const keyPrefix = uniquePrefix();
    let service: ServiceHandle;
    let verifier: Verifier;
    let stale: Verifier;
    let app: StartedApp;
    let staleApp: StartedApp;

    beforeAll(async () => {
      service = await startService({ redisUrl, keyPrefix });
      verifier = testVerifier({ redis: redisUrl, keyPrefix });
      await verifier.ready();
      // Its Redis never answers: the list is never loaded, so it is stale from the start.
      stale = testVerifier({ redis: 'redis://127.0.0.1:1', commandTimeout: 0.05 });
      app = await integration.start(verifier);
      staleApp = await integration.start(stale);
    });
    afterAll(async () => {
      await Promise.all([app?.close(), staleApp?.close()]);
      await Promise.all([verifier?.close(), stale?.close(), service?.close()]);
    });

    it('with a valid bearer token reaches the route with the claims', async () => {
      const answer = await app.request('/me', { authorization: `Bearer ${await signToken({ sub: 'leo' })}` });
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ sub: 'leo' });
    });

    it('with a valid token in the access_token cookie reaches the route with the claims', async () => {
      const answer = await app.request('/me', { cookie: `theme=dark; access_token=${await signToken({ sub: 'mia' })}` });
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ sub: 'mia' });
    });

    it('without a token is refused 401 ERR_TOKEN_MISSING with the bare challenge', async () => {
      const answer = await app.request('/me', {});
      expect(answer.status).toBe(401);
      expect(answer.headers['www-authenticate']).toBe(BARE);
      expect(integration.refusal(answer.body).code).toBe('ERR_TOKEN_MISSING');
    });

    it('with a bad or tampered token is refused 401 invalid_token', async () => {
      for (const token of ['x', 'a.b.c', `${await signToken()}tampered`]) {
        const answer = await app.request('/me', { authorization: `Bearer ${token}` });
        expect(answer.status, token).toBe(401);
        expect(answer.headers['www-authenticate']).toBe(judged('is invalid'));
        expect(integration.refusal(answer.body).code).toBe('ERR_TOKEN_INVALID');
      }
    });

    it('with an expired token is refused 401 ERR_TOKEN_EXPIRED', async () => {
      const now = Math.floor(Date.now() / 1000);
      const answer = await app.request('/me', { authorization: `Bearer ${await signToken({ iat: now - 3600, exp: now - 1800 })}` });
      expect(answer.status).toBe(401);
      expect(answer.headers['www-authenticate']).toBe(judged('has expired'));
      expect(integration.refusal(answer.body).code).toBe('ERR_TOKEN_EXPIRED');
    });

    it('with a token whose session was revoked through the admin API is refused 401 with the reason', async () => {
      const sid = `phone-${uniquePrefix()}`;
      const token = await signToken({ sid });
      expect((await app.request('/me', { authorization: `Bearer ${token}` })).status).toBe(200);
      const revoked = await service.admin('/v1/revocations', { body: { type: 'session', sid } });
      expect(revoked.status).toBe(201);
      await waitFor(() => verifier.isRevoked({ sid }), 10_000);
      const answer = await app.request('/me', { authorization: `Bearer ${token}` });
      expect(answer.status).toBe(401);
      expect(answer.headers['www-authenticate']).toBe(judged('has been revoked'));
      const refusal = integration.refusal(answer.body);
      expect(refusal.code).toBe('ERR_TOKEN_REVOKED');
      expect(refusal.message).toBe(new TokenRevokedError('session').message);
      if (integration.carriesReason) expect(refusal.reason).toBe('session');
    });

    it('while the revocation list is stale is refused 503 ERR_LIST_STALE with Retry-After', async () => {
      const answer = await staleApp.request('/me', { authorization: `Bearer ${await signToken()}` });
      expect(answer.status).toBe(503);
      expect(answer.headers['retry-after']).toBe('1');
      expect(answer.headers['www-authenticate']).toBe(BARE);
      expect(integration.refusal(answer.body).code).toBe('ERR_LIST_STALE');
    });

    it('never gets a 500, whatever the Authorization header holds', async () => {
      const statuses = new Set<number>();
      await fc.assert(
        fc.asyncProperty(hostileAuthorization, async (authorization) => {
          const answer = await app.request('/me', { authorization });
          statuses.add(answer.status);
          if (answer.status === 200) return;
          expect(answer.status).toBe(401);
          expect(SAFE_HEADER.test(answer.headers['www-authenticate'] ?? '')).toBe(true);
          expect(answer.headers['www-authenticate']).toMatch(/^Bearer realm="example"/);
        }),
        { numRuns: 150 },
      );
      expect(statuses.has(401)).toBe(true);
    }, 120_000);
  });
}

/** Reads the SDK's own JSON refusal body `{ error, message, reason? }`. */
export function sdkRefusal(body: unknown): Refusal {
  const { error, message, ...rest } = body as { error: unknown; message: unknown; reason?: unknown };
  return { code: error, message, ...rest };
}
