import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { Express } from 'express';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it, onTestFinished } from 'vitest';
import type { Verifier } from '@revocast/verifier-sdk';
import { createService, createTokenInspector } from '@revocast/revocation-service';
import {
  ADMIN_SECRET,
  memoryStore,
  serviceConfig,
  signToken,
  startService,
  testVerifier,
  uniquePrefix,
  type ServiceHandle,
} from '../support/fixtures.js';

interface Operation {
  operationId?: string;
  parameters?: Array<{ name: string; in: string; schema: { enum?: string[] } }>;
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
}
type Document = {
  openapi: string;
  servers?: Array<{ url: string }>;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: { Problem: { properties: { code: { enum: string[] } } } } };
};

/** The routes an Express app serves, read from its router stack: `get /v1/revocations/:type/:id`. */
interface RouterLike {
  stack: Array<{
    route?: { path: string; methods: Record<string, boolean> };
    handle: { stack?: unknown };
    slash?: boolean;
    rawPath?: unknown;
  }>;
}
function servedRoutes(router: RouterLike, prefix = ''): string[] {
  return router.stack.flatMap((layer) => {
    if (layer.route !== undefined) {
      const path = (prefix + layer.route.path).replace(/(.)\/$/, '$1');
      return Object.keys(layer.route.methods)
        .filter((method) => method !== '_all')
        .map((method) => `${method} ${path}`);
    }
    if (layer.handle.stack === undefined) return [];
    return servedRoutes(layer.handle as RouterLike, layer.slash === true ? prefix : prefix + String(layer.rawPath));
  });
}

/**
 * The documented operations in Express's terms: `{id}` becomes `:id`, and a
 * path parameter with an enum (the console's asset files) becomes one path per value.
 */
function documentedRoutes(document: Document): string[] {
  return Object.entries(document.paths).flatMap(([template, operations]) =>
    Object.entries(operations).flatMap(([method, operation]) => {
      let paths = [template];
      for (const parameter of operation.parameters ?? []) {
        if (parameter.in !== 'path') continue;
        const values = parameter.schema.enum;
        paths = paths.flatMap((path) =>
          values === undefined
            ? [path.replace(`{${parameter.name}}`, `:${parameter.name}`)]
            : values.map((value) => path.replace(`{${parameter.name}}`, value)),
        );
      }
      return paths.map((path) => `${method} ${path}`);
    }),
  );
}

/** A concrete URL for a path template. */
const concrete = (template: string) => template.replace('{type}', 'token').replace('{id}', 'openapi-405').replace('{file}', 'console.css');

interface Case {
  method: string;
  /** The path template in the document. */
  path: string;
  url: string;
  body?: string;
  headers?: Record<string, string>;
}

const READER = 'reader-secret-0123456789';
const REVOKER = 'revoker-secret-0123456789';
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
        { name: 'revoker', secret: REVOKER, scopes: ['revoke'] },
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
      {
        method: 'post',
        path: '/v1/revocations',
        url: '/v1/revocations?wait=all',
        body: JSON.stringify({ type: 'subject', sub: 'openapi-user' }),
        headers: asJson,
      },
      {
        method: 'post',
        path: '/v1/revocations',
        url: '/v1/revocations',
        body: JSON.stringify({ type: 'subject', sub: 'openapi-user', before: 1 }),
        headers: asJson,
      },
      {
        method: 'post',
        path: '/v1/revocations',
        url: '/v1/revocations',
        body: JSON.stringify({ type: 'token', jti: 'openapi-jti', exp: inAnHour(), sub: 'openapi-user' }),
        headers: asJson,
      },
      { method: 'post', path: '/v1/revocations', url: '/v1/revocations', body: JSON.stringify({ type: 'token' }), headers: asJson },
      { method: 'post', path: '/v1/revocations', url: '/v1/revocations', body: 'x', headers: { ...admin, 'content-type': 'text/plain' } },
      { method: 'post', path: '/v1/revocations', url: '/v1/revocations', body: '{}', headers: { 'content-type': 'application/json' } },
      {
        method: 'post',
        path: '/v1/revocations',
        url: '/v1/revocations',
        body: '{}',
        headers: { authorization: `Bearer ${READER}`, 'content-type': 'application/json' },
      },
      {
        method: 'post',
        path: '/v1/revocations/batch',
        url: '/v1/revocations/batch?wait=all',
        body: JSON.stringify({ items: [{ type: 'session', sid: 'openapi-batch', sub: 'openapi-user' }] }),
        headers: asJson,
      },
      {
        method: 'post',
        path: '/v1/revocations/batch',
        url: '/v1/revocations/batch',
        body: JSON.stringify({ items: [{ type: 'session', sid: 'openapi-batch', sub: 'openapi-user' }] }),
        headers: asJson,
      },
      {
        method: 'post',
        path: '/v1/revocations/batch',
        url: '/v1/revocations/batch',
        body: JSON.stringify({ items: [{ type: 'token' }] }),
        headers: asJson,
      },
      { method: 'get', path: '/v1/revocations', url: '/v1/revocations?sub=openapi-user&limit=1', headers: admin },
      { method: 'get', path: '/v1/revocations', url: '/v1/revocations?limit=0', headers: admin },
      { method: 'get', path: '/v1/revocations/{type}/{id}', url: '/v1/revocations/token/openapi-jti', headers: admin },
      { method: 'get', path: '/v1/revocations/{type}/{id}', url: '/v1/revocations/token/nothing-here', headers: admin },
      {
        method: 'delete',
        path: '/v1/revocations/{type}/{id}',
        url: '/v1/revocations/token/openapi-jti?wait=all&reason=test',
        headers: admin,
      },
      { method: 'delete', path: '/v1/revocations/{type}/{id}', url: '/v1/revocations/token/openapi-jti', headers: admin },
      { method: 'get', path: '/v1/verifiers', url: '/v1/verifiers', headers: admin },
      { method: 'get', path: '/v1/changes/stream', url: '/v1/changes/stream', headers: admin },
      { method: 'post', path: '/oauth2/revoke', url: '/oauth2/revoke', body: new URLSearchParams({ token }).toString(), headers: asForm },
      { method: 'post', path: '/oauth2/revoke', url: '/oauth2/revoke', body: '', headers: asForm },
      {
        method: 'post',
        path: '/oauth2/revoke',
        url: '/oauth2/revoke',
        body: 'token=x',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      },
      {
        method: 'post',
        path: '/oauth2/introspect',
        url: '/oauth2/introspect',
        body: new URLSearchParams({ token }).toString(),
        headers: asForm,
      },
      {
        method: 'post',
        path: '/oauth2/introspect',
        url: '/oauth2/introspect',
        body: new URLSearchParams({ token: await signToken() }).toString(),
        headers: asForm,
      },
      {
        method: 'post',
        path: '/oauth2/introspect',
        url: '/oauth2/introspect',
        body: 'token=x',
        headers: { authorization: `Bearer ${READER}`, 'content-type': 'application/x-www-form-urlencoded' },
      },
      { method: 'get', path: '/healthz', url: '/healthz' },
      { method: 'get', path: '/readyz', url: '/readyz' },
      { method: 'get', path: '/metrics', url: '/metrics' },
      { method: 'get', path: '/openapi.json', url: '/openapi.json' },
      { method: 'get', path: '/admin', url: '/admin' },
      { method: 'get', path: '/admin/login', url: '/admin/login' },
      {
        method: 'post',
        path: '/admin/login',
        url: '/admin/login',
        body: 'key=x',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      },
      {
        method: 'post',
        path: '/admin/logout',
        url: '/admin/logout',
        body: '',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      },
      {
        method: 'post',
        path: '/admin/revoke',
        url: '/admin/revoke',
        body: '',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      },
      {
        method: 'post',
        path: '/admin/reinstate',
        url: '/admin/reinstate',
        body: '',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      },
      { method: 'get', path: '/admin/events', url: '/admin/events' },
      { method: 'get', path: '/admin/assets/{file}', url: '/admin/assets/console.js' },
    ];
  }

  it('is OpenAPI 3.1, with a relative server so it works behind a path prefix', () => {
    expect(document.openapi).toBe('3.1.0');
    // Resolved against where the document was fetched, the server keeps a proxy's prefix.
    const server = document.servers?.[0]?.url ?? '';
    expect(new URL(server, 'https://example.test/revocast/openapi.json').href).toBe('https://example.test/revocast/');
  });

  it('names every operation with a unique camelCase operationId', () => {
    const ids = Object.values(document.paths).flatMap((operations) => Object.values(operations).map((operation) => operation.operationId));
    expect(ids.length).toBeGreaterThanOrEqual(21);
    for (const id of ids) expect(id).toMatch(/^[a-z][a-zA-Z0-9]*$/);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('documents every route the app serves, and the app serves every documented operation', () => {
    const built = createService(serviceConfig(), { store: memoryStore(), logger: pino({ enabled: false }) });
    onTestFinished(() => built.close());
    const served = servedRoutes((built.app as Express & { router: RouterLike }).router);
    expect(served.length).toBeGreaterThanOrEqual(21);
    expect([...new Set(served)].sort()).toEqual([...new Set(documentedRoutes(document))].sort());
  });

  it('answers 405 with an Allow header for a known path called with a method it does not serve', async () => {
    const problems: string[] = [];
    let checked = 0;
    for (const [template, operations] of Object.entries(document.paths)) {
      const documented = Object.keys(operations).map((method) => method.toUpperCase());
      const allow = [...documented, ...(documented.includes('GET') ? ['HEAD'] : [])].sort().join(', ');
      for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].filter((m) => !documented.includes(m))) {
        checked++;
        const res = await fetch(service.url + concrete(template), { method, redirect: 'manual', headers: admin });
        const where = `${method} ${template} → ${res.status}`;
        const body = (await res.json().catch(() => undefined)) as { code?: string } | undefined;
        if (res.status !== 405) problems.push(`${where}: not 405`);
        else if (res.headers.get('allow') !== allow) problems.push(`${where}: Allow ${res.headers.get('allow')}, documented ${allow}`);
        else if (!(res.headers.get('content-type') ?? '').startsWith('application/problem+json') || body?.code !== 'ERR_METHOD_NOT_ALLOWED')
          problems.push(`${where}: ${JSON.stringify(body)}`);
        else if (ajv.getSchema('openapi#/components/schemas/Problem')?.(body) !== true) problems.push(`${where}: not a Problem`);
      }
    }
    expect(checked).toBeGreaterThan(60);
    expect(problems).toEqual([]);
    // A path nobody serves is still a 404, whatever the method.
    const unknown = await fetch(`${service.url}/v1/nothing-here`, { method: 'PUT', headers: admin });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { code: string }).code).toBe('ERR_NOT_FOUND');
  }, 30_000);

  it('states the scope each admin operation needs, and a key without it is refused 403', async () => {
    let checked = 0;
    for (const [template, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const scope = (operation as { security?: Array<{ adminKey?: string[] }> }).security?.[0]?.adminKey?.[0];
        if (scope === undefined) continue;
        checked++;
        // The reader key has only read, the revoker key only revoke: each lacks what the other route needs.
        const key = scope === 'read' ? REVOKER : READER;
        const res = await fetch(service.url + concrete(template), {
          method: method.toUpperCase(),
          headers: { authorization: `Bearer ${key}` },
        });
        await res.body?.cancel();
        expect(res.status, `${method} ${template} needs ${scope}`).toBe(403);
      }
    }
    expect(checked).toBe(9);
  });

  it('passes redocly lint with no error and no warning', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'revocast-openapi-'));
    try {
      const file = join(dir, 'openapi.json');
      writeFileSync(file, JSON.stringify(document));
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['node_modules/@redocly/cli/bin/cli.js', 'lint', file, '--config', 'revocation-service/redocly.yaml', '--format=json'],
        { env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' }, timeout: 60_000 },
      );
      const report = JSON.parse(stdout.slice(stdout.indexOf('{'))) as { totals: { errors: number; warnings: number }; problems: unknown[] };
      expect(report.problems).toEqual([]);
      expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('matches every exercised answer: documented status, content type and schema', async () => {
    const problems: string[] = [];
    for (const c of await cases()) {
      const res = await fetch(service.url + c.url, {
        method: c.method.toUpperCase(),
        redirect: 'manual',
        headers: c.headers ?? {},
        ...(c.body === undefined ? {} : { body: c.body }),
      });
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
        const validate = ajv.getSchema(
          `openapi#/${pointer('paths', c.path, c.method, 'responses', String(res.status), 'content', type, 'schema')}`,
        );
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
    const documented = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method} ${path}`),
    );
    expect(documented.filter((operation) => !exercised.has(operation))).toEqual([]);
  });

  it('documents every problem code the service can answer with, as the README does', () => {
    const readme = readFileSync('README.md', 'utf8');
    const start = readme.indexOf('| `ERR_VALIDATION` | 400 |');
    const section = readme.slice(start, readme.indexOf('\n\n', start));
    const listed = [...section.matchAll(/^\| `(ERR_[A-Z_]+)` \| \d{3} \|/gm)].map((m) => m[1]);
    const documented = document.components.schemas.Problem.properties.code.enum;
    expect(documented).toContain('ERR_METHOD_NOT_ALLOWED');
    expect([...documented].sort()).toEqual([...new Set(listed)].sort());
  });
});
