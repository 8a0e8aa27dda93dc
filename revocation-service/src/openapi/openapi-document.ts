import { SERVICE_VERSION } from '../version.js';
import { componentSchemas, type JsonSchema } from './json-schema.js';
import { responseSchemas } from './response-schemas.js';
import { REQUEST_SCHEMAS, ROUTES, type RouteSpec } from './route-table.js';

function security(access: RouteSpec['access']): ReadonlyArray<Record<string, string[]>> {
  if (access === 'public') return [];
  // OpenAPI 3.1 lets a non-OAuth scheme list the roles it needs: here, the admin key's scope.
  if ('adminKey' in access) return [{ adminKey: [access.adminKey] }];
  return [{ consoleSession: access.console === true ? [] : [access.console] }];
}

function summary(route: RouteSpec): string {
  const scope =
    route.access !== 'public' && 'adminKey' in route.access
      ? route.access.adminKey
      : route.access !== 'public' && route.access.console !== true
        ? route.access.console
        : undefined;
  const notes = [
    ...(route.form === undefined ? [] : [`form: ${route.form.join(', ')}`]),
    ...(scope === undefined ? [] : [`scope: ${scope}`]),
  ];
  return notes.length === 0 ? route.summary : `${route.summary} (${notes.join('; ')})`;
}

function operation(route: RouteSpec): JsonSchema {
  return {
    operationId: route.operationId,
    tags: [route.tag],
    summary: summary(route),
    ...(route.description === undefined ? {} : { description: route.description }),
    security: security(route.access),
    ...(route.parameters === undefined ? {} : { parameters: route.parameters }),
    ...(route.requestBody === undefined ? {} : { requestBody: route.requestBody }),
    responses: route.responses,
  };
}

function paths(routes: readonly RouteSpec[]): Record<string, Record<string, JsonSchema>> {
  const out: Record<string, Record<string, JsonSchema>> = {};
  for (const route of routes) {
    const methods = out[route.path] ?? {};
    methods[route.method] = operation(route);
    out[route.path] = methods;
  }
  return out;
}

/**
 * Builds the OpenAPI 3.1 description of every route, served at
 * `/openapi.json`: operations from the route table, request schemas from the
 * zod schemas the service validates with, answers from response-schemas.ts.
 */
export function buildOpenApiDocument(routes: readonly RouteSpec[] = ROUTES) {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Revocast revocation service',
      version: SERVICE_VERSION,
      description:
        'Records JWT revocations and publishes them to every verifier; shows how far each change has propagated. A known path called with a method it does not serve is answered 405 (ERR_METHOD_NOT_ALLOWED) with an Allow header.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    // Relative, so it resolves against where this document was fetched: it stays right behind a proxy that adds a path prefix.
    servers: [{ url: '.', description: 'This service, where this document is served.' }],
    security: [{ adminKey: [] }],
    tags: [
      { name: 'revocations', description: 'Revoke, list, show and reinstate.' },
      { name: 'fleet', description: 'Live verifiers and the change stream.' },
      { name: 'oauth', description: 'RFC 7009 revocation and RFC 7662 introspection.' },
      { name: 'operations', description: 'Health, readiness, metrics and this document.' },
      { name: 'console', description: 'The server-rendered admin console for browsers.' },
    ],
    paths: paths(routes),
    components: {
      securitySchemes: {
        adminKey: {
          type: 'http',
          scheme: 'bearer',
          description: 'An admin key secret from REVOCAST_ADMIN_KEYS; its scopes decide what it may do.',
        },
        consoleSession: { type: 'apiKey', in: 'cookie', name: 'revocast_console', description: 'Set by signing in at /admin/login.' },
      },
      schemas: { ...componentSchemas(REQUEST_SCHEMAS), ...responseSchemas },
    },
  };
}

/** The document, built once at startup. */
export const openApiDocument = buildOpenApiDocument();
