import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Verifier } from '@revocast/verifier-sdk';
import { createTokenInspector } from '@revocast/revocation-service';
import { ADMIN_SECRET, signToken, startService, testVerifier, uniquePrefix, type ServiceHandle } from '../support/fixtures.js';

type Document = { openapi: string; paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>> };

interface Case {
  method: string;
  /** The path template in the document. */
  path: string;
  url: string;
  body?: string;
  headers?: Record<string, string>;
}

const READER = 'reader-secret-0123456789';
const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;
const pointer = (...parts: string[]) => parts.map((part) => part.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');

describe('the OpenAPI document describes the real answers', () => {
  const redisUrl = inject('redisUrl');
  const keyPrefix = uniquePrefix();
  let service: ServiceHandle;
  let verifier: Verifier;
  let document: Document;
  const ajv = new Ajv2020({ strict: false, validateSchema: false, allErrors: true });

  beforeAll(async () => {
    service = await startService({
      redisUrl,
      keyPrefix,
      tokenInspector: createTokenInspector({ algorithms: ['HS256'], secret: 'revocast-test-secret-of-32-bytes!' }),
      adminKeys: [
        { name: 'tests', secret: ADMIN_SECRET },
        { name: 'reader', secret: READER, scopes: ['read'], rateLimit: { requests: 100, perMs: 60_000 } },
      ],
    });
    verifier = testVerifier({ redis: redisUrl, keyPrefix, id: 'openapi-web' });
    await verifier.ready();
    document = (await (await fetch(`${service.url}/openapi.json`)).json()) as Document;
    ajv.addSchema(document, 'openapi');
  });
  afterAll(async () => {
    await verifier.close();
    await service.close();
  });

  const admin = { authorization: `Bearer ${ADMIN_SECRET}` };
  const asJson = { ...admin, 'content-type': 'application/json' };
  const asForm = { ...admin, 'content-type': 'application/x-www-form-urlencoded' };

  async function cases(): Promise<Case[]> {
    const token = await signToken({ sub: 'openapi-user', sid: 'openapi-sid' });
    return [
      { method: 'post', path: '/v1/revocations', url: '/v1/revocations?wait=all', body: JSON.stringify({ type: 'subject', sub: 'openapi-user' }), headers: asJson },
      { method: 'post', path: '/v1/revocations', url: '/v1/revocations', body: JSON.stringify({ type: 'subject', sub: 'openapi-user', before: 1 }), headers: asJson },
      { method: 'post', path: '/v1/revocations', url: '/v1/revocations', body: JSON.stringify({ type: 'token', jti: 'openapi-jti', exp: inAnHour(), sub: 'openapi-user' }), headers: asJson },
      { method: 'post', path: '/v1/revocations', url: '/v1/revocations', body: JSON.stringify({ type: 'token' }), headers: asJson },
      { method: 'post', path: '/v1/revocations', url: '/v1/revocations', body: 'x', headers: { ...admin, 'content-type': 'text/plain' } },
      { method: 'post', path: '/v1/revocations', url: '/v1/revocations', body: '{}', headers: { 'content-type': 'application/json' } },
      { method: 'post', path: '/v1/revocations', url: '/v1/revocations', body: '{}', headers: { authorization: `Bearer ${READER}`, 'content-type': 'application/json' } },
      { method: 'post', path: '/v1/revocations/batch', url: '/v1/revocations/batch?wait=all', body: JSON.stringify({ items: [{ type: 'session', sid: 'openapi-batch', sub: 'openapi-user' }] }), headers: asJson },
      { method: 'post', path: '/v1/revocations/batch', url: '/v1/revocations/batch', body: JSON.stringify({ items: [{ type: 'session', sid: 'openapi-batch', sub: 'openapi-user' }] }), headers: asJson },
      { method: 'post', path: '/v1/revocations/batch', url: '/v1/revocations/batch', body: JSON.stringify({ items: [{ type: 'token' }] }), headers: asJson },
      { method: 'get', path: '/v1/revocations', url: '/v1/revocations?sub=openapi-user&limit=1', headers: admin },
      { method: 'get', path: '/v1/revocations', url: '/v1/revocations?limit=0', headers: admin },
      { method: 'get', path: '/v1/revocations/{type}/{id}', url: '/v1/revocations/token/openapi-jti', headers: admin },
      { method: 'get', path: '/v1/revocations/{type}/{id}', url: '/v1/revocations/token/nothing-here', headers: admin },
      { method: 'delete', path: '/v1/revocations/{type}/{id}', url: '/v1/revocations/token/openapi-jti?wait=all&reason=test', headers: admin },
      { method: 'delete', path: '/v1/revocations/{type}/{id}', url: '/v1/revocations/token/openapi-jti', headers: admin },
      { method: 'get', path: '/v1/verifiers', url: '/v1/verifiers', headers: admin },
      { method: 'get', path: '/v1/changes/stream', url: '/v1/changes/stream', headers: admin },
      { method: 'post', path: '/oauth2/revoke', url: '/oauth2/revoke', body: new URLSearchParams({ token }).toString(), headers: asForm },
      { method: 'post', path: '/oauth2/revoke', url: '/oauth2/revoke', body: '', headers: asForm },
      { method: 'post', path: '/oauth2/revoke', url: '/oauth2/revoke', body: 'token=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      { method: 'post', path: '/oauth2/introspect', url: '/oauth2/introspect', body: new URLSearchParams({ token }).toString(), headers: asForm },
      { method: 'post', path: '/oauth2/introspect', url: '/oauth2/introspect', body: new URLSearchParams({ token: await signToken() }).toString(), headers: asForm },
      { method: 'post', path: '/oauth2/introspect', url: '/oauth2/introspect', body: 'token=x', headers: { authorization: `Bearer ${READER}`, 'content-type': 'application/x-www-form-urlencoded' } },
      { method: 'get', path: '/healthz', url: '/healthz' },
      { method: 'get', path: '/readyz', url: '/readyz' },
      { method: 'get', path: '/metrics', url: '/metrics' },
      { method: 'get', path: '/openapi.json', url: '/openapi.json' },
      { method: 'get', path: '/admin', url: '/admin' },
      { method: 'get', path: '/admin/login', url: '/admin/login' },
      { method: 'post', path: '/admin/login', url: '/admin/login', body: 'key=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      { method: 'post', path: '/admin/logout', url: '/admin/logout', body: '', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      { method: 'post', path: '/admin/revoke', url: '/admin/revoke', body: '', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      { method: 'post', path: '/admin/reinstate', url: '/admin/reinstate', body: '', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      { method: 'get', path: '/admin/events', url: '/admin/events' },
      { method: 'get', path: '/admin/assets/{file}', url: '/admin/assets/console.js' },
    ];
  }

  it('is OpenAPI 3.1', () => {
    expect(document.openapi).toBe('3.1.0');
  });

  it('matches every exercised answer: documented status, content type and schema', async () => {
    const problems: string[] = [];
    for (const c of await cases()) {
      const res = await fetch(service.url + c.url, { method: c.method.toUpperCase(), redirect: 'manual', headers: c.headers ?? {}, ...(c.body === undefined ? {} : { body: c.body }) });
      const where = `${c.method.toUpperCase()} ${c.url} → ${res.status}`;
      const operation = document.paths[c.path]?.[c.method];
      const response = operation?.responses[String(res.status)];
      if (response === undefined) {
        problems.push(`${where}: status not documented`);
        await res.body?.cancel();
        continue;
      }
      const type = (res.headers.get('content-type') ?? '').split(';')[0] as string;
      if (response.content === undefined) {
        await res.body?.cancel();
        continue;
      }
      const media = response.content[type];
      if (media === undefined) {
        problems.push(`${where}: content type ${type} not documented`);
        await res.body?.cancel();
        continue;
      }
      if (type.endsWith('json')) {
        const validate = ajv.getSchema(`openapi#/${pointer('paths', c.path, c.method, 'responses', String(res.status), 'content', type, 'schema')}`);
        const body: unknown = await res.json();
        if (validate === undefined) problems.push(`${where}: schema not found`);
        else if (!validate(body)) problems.push(`${where}: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(body).slice(0, 300)}`);
      } else {
        await res.body?.cancel();
      }
    }
    expect(problems).toEqual([]);
  }, 30_000);

  it('has no operation left unexercised', async () => {
    const exercised = new Set((await cases()).map((c) => `${c.method} ${c.path}`));
    const documented = Object.entries(document.paths).flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method} ${path}`));
    expect(documented.filter((operation) => !exercised.has(operation))).toEqual([]);
  });

  it('documents every problem code the service can answer with', async () => {
    const source = await import('node:fs').then((fs) => fs.readFileSync('revocation-service/src/http/problem.ts', 'utf8'));
    const codes = [...source.matchAll(/\| '(ERR_[A-Z_]+)'/g)].map((m) => m[1]);
    const documented = (document as unknown as { components: { schemas: { Problem: { properties: { code: { enum: string[] } } } } } }).components.schemas.Problem.properties.code.enum;
    expect([...documented].sort()).toEqual([...codes].sort());
  });
});
