import { z } from 'zod';
import type { Scope } from '../http/admin-auth.js';
import { batchInputSchema } from '../validation/batch-input.js';
import { idField, typeField } from '../validation/fields.js';
import { changeQuerySchema, listQuerySchema, reinstateQuerySchema } from '../validation/list-query.js';
import { revocationInputSchema } from '../validation/revocation-input.js';
import { parametersOf, ref, type JsonSchema, type Parameter } from './json-schema.js';

/*
 * Every route the service answers, written once: the OpenAPI document is
 * built from this table, the 405 answer's Allow header comes from it, and a
 * test checks that the Express app serves exactly these routes.
 */

export type HttpMethod = 'get' | 'post' | 'delete';

/** Who may call a route: an admin key with a scope, a console session (with a scope for changes), or anyone. */
export type Access = { readonly adminKey: Scope } | { readonly console: Scope | true } | 'public';

export interface RouteSpec {
  readonly method: HttpMethod;
  /** OpenAPI path template: `/v1/revocations/{type}/{id}`. */
  readonly path: string;
  /** Stable and camelCase: client generators name their methods after it. */
  readonly operationId: string;
  readonly tag: 'revocations' | 'fleet' | 'oauth' | 'operations' | 'console';
  readonly summary: string;
  /** The console's form fields, named in the summary. */
  readonly form?: readonly string[];
  readonly description?: string;
  readonly access: Access;
  readonly parameters?: readonly Parameter[];
  readonly requestBody?: JsonSchema;
  readonly responses: Readonly<Record<string, JsonSchema>>;
}

/** zod schemas that become `components.schemas`; a field that is one of them is a `$ref`. */
export const REQUEST_SCHEMAS = {
  RevocationType: typeField,
  RevocationInput: revocationInputSchema,
  BatchInput: batchInputSchema,
} as const;

const json = (schema: JsonSchema, description: string) => ({ description, content: { 'application/json': { schema } } });
const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: ref('Problem') } } });
const oauthError = (description: string) => ({ description, content: { 'application/json': { schema: ref('OAuthError') } } });
const html = (description: string) => ({ description, content: { 'text/html': { schema: { type: 'string' } } } });
const seeOther = (description: string) => ({ description, headers: { Location: { schema: { type: 'string' } } } });
const jsonBody = (name: keyof typeof REQUEST_SCHEMAS) => ({ required: true, content: { 'application/json': { schema: ref(name) } } });

const ADMIN_ERRORS = {
  '401': problem('No admin key, a wrong one, or none configured (ERR_UNAUTHORIZED).'),
  '403': problem('The key lacks the scope the route needs (ERR_FORBIDDEN).'),
  '429': problem('The key is over its rate limit, or this address failed authentication too often (ERR_RATE_LIMITED); see Retry-After.'),
  '503': problem('Redis is not reachable (ERR_STORE_UNAVAILABLE); retrying is safe.'),
};

/** Write routes of a Redis-only service whose Redis belongs to a PostgreSQL record. */
const RECORD_OWNED = problem(
  'This Redis belongs to a PostgreSQL record; nothing was written (ERR_REDIS_OWNED_BY_RECORD): send changes to the service that owns the record, or set DATABASE_URL.',
);

const WAIT_PARAMETERS = parametersOf('query', changeQuerySchema);

const TYPE_AND_ID = parametersOf(
  'path',
  z.object({ type: typeField, id: idField.meta({ description: 'The jti, sub or sid.' }) }),
  REQUEST_SCHEMAS,
);

// /oauth2/* read their form by hand (oauth.ts), to answer in RFC 6749 error terms.
const OAUTH_FORM = {
  required: true,
  content: {
    'application/x-www-form-urlencoded': {
      schema: {
        type: 'object',
        required: ['token'],
        properties: {
          token: { type: 'string', description: 'The raw JWT.' },
          token_type_hint: { type: 'string', description: 'Accepted and ignored: every token is read as a JWT.' },
        },
      },
    },
  },
};

export const ROUTES: readonly RouteSpec[] = [
  {
    method: 'post',
    path: '/v1/revocations',
    operationId: 'revoke',
    tag: 'revocations',
    summary: 'Revoke a token, a subject or a session',
    access: { adminKey: 'revoke' },
    parameters: WAIT_PARAMETERS,
    requestBody: jsonBody('RevocationInput'),
    responses: {
      '201': json(ref('RevokeAnswer'), 'Recorded and published.'),
      '200': json(ref('RevokeAnswer'), 'The same or a wider revocation was already in force; nothing was written.'),
      '400': problem('The body or query is wrong; errors names each field (ERR_VALIDATION).'),
      '413': problem('The body is over the limit (ERR_BODY_TOO_LARGE).'),
      '415': problem('The body is not application/json (ERR_UNSUPPORTED_MEDIA_TYPE).'),
      '409': RECORD_OWNED,
      '501': problem('wait=all without a view of the verifiers (ERR_NOT_CONFIGURED).'),
      ...ADMIN_ERRORS,
    },
  },
  {
    method: 'get',
    path: '/v1/revocations',
    operationId: 'listRevocations',
    tag: 'revocations',
    summary: 'List live revocations',
    access: { adminKey: 'read' },
    parameters: parametersOf('query', listQuerySchema, REQUEST_SCHEMAS),
    responses: { '200': json(ref('RevocationPage'), 'One page.'), '400': problem('A bad query (ERR_VALIDATION).'), ...ADMIN_ERRORS },
  },
  {
    method: 'post',
    path: '/v1/revocations/batch',
    operationId: 'revokeBatch',
    tag: 'revocations',
    summary: 'Revoke up to 10,000 things at once, all or nothing',
    description:
      'Each item takes the fields and rules of POST /v1/revocations. The changes get one contiguous range of offsets; wait=all waits for the last one.',
    access: { adminKey: 'revoke' },
    parameters: WAIT_PARAMETERS,
    requestBody: jsonBody('BatchInput'),
    responses: {
      '201': json(ref('BatchAnswer'), 'At least one item was recorded and published.'),
      '200': json(ref('BatchAnswer'), 'Every item was already in force; nothing was written.'),
      '400': problem('The body or query is wrong; errors names each field as items.<index>.<field> (ERR_VALIDATION).'),
      '413': problem('The body is over the batch limit (ERR_BODY_TOO_LARGE).'),
      '415': problem('The body is not application/json (ERR_UNSUPPORTED_MEDIA_TYPE).'),
      '409': RECORD_OWNED,
      '501': problem('wait=all without a view of the verifiers (ERR_NOT_CONFIGURED).'),
      ...ADMIN_ERRORS,
    },
  },
  {
    method: 'get',
    path: '/v1/revocations/{type}/{id}',
    operationId: 'getRevocation',
    tag: 'revocations',
    summary: 'Show one revocation',
    access: { adminKey: 'read' },
    parameters: TYPE_AND_ID,
    responses: {
      '200': json(ref('Revocation'), 'The revocation in force.'),
      '404': problem('None (ERR_NOT_FOUND).'),
      '400': problem('A bad type or id.'),
      ...ADMIN_ERRORS,
    },
  },
  {
    method: 'delete',
    path: '/v1/revocations/{type}/{id}',
    operationId: 'reinstate',
    tag: 'revocations',
    summary: 'Reinstate: lift a revocation',
    access: { adminKey: 'reinstate' },
    parameters: [...TYPE_AND_ID, ...parametersOf('query', reinstateQuerySchema)],
    responses: {
      '200': json(ref('ReinstateAnswer'), 'Removed and published.'),
      '404': problem('There was nothing to reinstate (ERR_NOT_FOUND).'),
      '400': problem('A bad type, id or query.'),
      '409': RECORD_OWNED,
      '501': problem('wait=all without a view of the verifiers (ERR_NOT_CONFIGURED).'),
      ...ADMIN_ERRORS,
    },
  },
  {
    method: 'get',
    path: '/v1/verifiers',
    operationId: 'listVerifiers',
    tag: 'fleet',
    summary: 'Live verifiers and their lag',
    access: { adminKey: 'read' },
    responses: {
      '200': json(ref('FleetAnswer'), 'Every verifier whose heartbeat report has not expired.'),
      '501': problem('No view of the verifiers (ERR_NOT_CONFIGURED).'),
      ...ADMIN_ERRORS,
    },
  },
  {
    method: 'get',
    path: '/v1/changes/stream',
    operationId: 'streamChanges',
    tag: 'fleet',
    summary: 'Every change as it is published, as Server-Sent Events',
    description:
      'Each event is `event: change`, `id: <epoch>:<offset>:<streamId>`, `data: <Change JSON>`; a comment line every 15 s keeps proxies from closing it. With `Last-Event-ID`, every change the stream still holds after that id comes first, in order and once. The stream ends when the service shuts down; reconnect and resume.',
    access: { adminKey: 'read' },
    parameters: [
      {
        name: 'Last-Event-ID',
        in: 'header',
        required: false,
        description: 'The id of the last change event received: replay what came after it.',
        schema: { type: 'string', pattern: '^[0-9a-f]{16,64}:\\d{1,16}:\\d{1,20}-\\d{1,20}$' },
      },
    ],
    responses: {
      '200': {
        description: 'An endless event stream.',
        content: { 'text/event-stream': { schema: { type: 'string' }, 'x-event-schema': ref('Change') } },
      },
      '400': problem('Last-Event-ID is not an id this stream sent (ERR_VALIDATION).'),
      '501': problem('No view of the verifiers (ERR_NOT_CONFIGURED).'),
      ...ADMIN_ERRORS,
    },
  },
  {
    method: 'post',
    path: '/oauth2/revoke',
    operationId: 'oauthRevoke',
    tag: 'oauth',
    summary: 'RFC 7009 token revocation',
    description:
      'Revokes the jti until exp, and the session when the token carries a sid. The token must verify with the configured keys; an invalid, forged or expired token is answered 200 and revokes nothing.',
    access: { adminKey: 'revoke' },
    parameters: WAIT_PARAMETERS,
    requestBody: OAUTH_FORM,
    responses: {
      '200': json(ref('OAuthRevokeAnswer'), 'Revoked, or nothing to revoke.'),
      '400': oauthError(
        'invalid_request (a body that cannot be read, or more than 10 fields), or unsupported_token_type for a token with neither jti nor sid.',
      ),
      '401': oauthError('invalid_client: no or a wrong admin key.'),
      '403': oauthError('unauthorized_client: the key lacks the revoke scope.'),
      '413': oauthError('invalid_request: the body is over 16 kB.'),
      '415': oauthError('invalid_request: a charset other than UTF-8, or an unknown Content-Encoding.'),
      '429': problem('The key is over its rate limit, or this address failed authentication too often.'),
      '501': problem('No verification keys are configured (ERR_NOT_CONFIGURED).'),
      '503': problem('The key set or the store is unreachable (ERR_KEYS_UNAVAILABLE, ERR_STORE_UNAVAILABLE).'),
    },
  },
  {
    method: 'post',
    path: '/oauth2/introspect',
    operationId: 'oauthIntrospect',
    tag: 'oauth',
    summary: 'RFC 7662 token introspection',
    access: { adminKey: 'read' },
    requestBody: OAUTH_FORM,
    responses: {
      '200': json(ref('Introspection'), 'active: false for a revoked, expired or invalid token.'),
      '400': oauthError('invalid_request.'),
      '401': oauthError('invalid_client.'),
      '403': oauthError('unauthorized_client: the key lacks the read scope.'),
      '413': oauthError('invalid_request: the body is over 16 kB.'),
      '415': oauthError('invalid_request: a charset other than UTF-8, or an unknown Content-Encoding.'),
      '429': problem('The key is over its rate limit, or this address failed authentication too often.'),
      '501': problem('No verification keys are configured (ERR_NOT_CONFIGURED).'),
      '503': problem('The key set or the store is unreachable.'),
    },
  },
  {
    method: 'get',
    path: '/healthz',
    operationId: 'getHealth',
    tag: 'operations',
    summary: 'The process is up',
    access: 'public',
    responses: { '200': json(ref('Status'), 'Up.') },
  },
  {
    method: 'get',
    path: '/readyz',
    operationId: 'getReadiness',
    tag: 'operations',
    summary: 'The store answers',
    access: 'public',
    responses: { '200': json(ref('Status'), 'Ready.'), '503': problem('Redis is not reachable.') },
  },
  {
    method: 'get',
    path: '/metrics',
    operationId: 'getMetrics',
    tag: 'operations',
    summary: 'Prometheus metrics (docs/metrics.md)',
    access: 'public',
    responses: { '200': { description: 'Text exposition format.', content: { 'text/plain': { schema: { type: 'string' } } } } },
  },
  {
    method: 'get',
    path: '/openapi.json',
    operationId: 'getOpenApiDocument',
    tag: 'operations',
    summary: 'This document',
    access: 'public',
    responses: {
      '200': json(
        { type: 'object', required: ['openapi', 'paths'], properties: { openapi: { const: '3.1.0' }, paths: { type: 'object' } } },
        'OpenAPI 3.1.',
      ),
    },
  },
  {
    method: 'get',
    path: '/admin',
    operationId: 'showConsole',
    tag: 'console',
    summary: 'The console; ?sub= shows one subject',
    access: { console: true },
    parameters: [{ name: 'sub', in: 'query', schema: { type: 'string', minLength: 1, maxLength: 256 } }],
    responses: { '200': html('The console page.'), '303': seeOther('Not signed in: to /admin/login.') },
  },
  {
    method: 'get',
    path: '/admin/login',
    operationId: 'showConsoleSignIn',
    tag: 'console',
    summary: 'The sign-in form',
    access: 'public',
    responses: { '200': html('The form, with a CSRF token.') },
  },
  {
    method: 'post',
    path: '/admin/login',
    operationId: 'signInToConsole',
    tag: 'console',
    summary: 'Sign in with an admin key',
    form: ['key', '_csrf'],
    access: 'public',
    responses: {
      '303': seeOther('Signed in: to /admin, with the session cookie.'),
      '400': html('A body that cannot be read, or more than 20 fields.'),
      '401': html('A wrong key.'),
      '403': html('A missing or wrong CSRF token.'),
      '413': html('The body is over 8 kB.'),
      '415': html('A charset other than UTF-8, or an unknown Content-Encoding.'),
      '429': html('This address failed to sign in too often; see Retry-After.'),
    },
  },
  {
    method: 'post',
    path: '/admin/logout',
    operationId: 'signOutOfConsole',
    tag: 'console',
    summary: 'Sign out',
    form: ['_csrf'],
    access: { console: true },
    responses: { '303': seeOther('To /admin/login.'), '401': html('Not signed in.'), '403': html('A missing or wrong CSRF token.') },
  },
  {
    method: 'post',
    path: '/admin/revoke',
    operationId: 'revokeFromConsole',
    tag: 'console',
    summary: 'Revoke a subject or a session',
    form: ['type', 'sub', 'sid', 'reason', '_csrf'],
    access: { console: 'revoke' },
    responses: {
      '303': seeOther('Back to the subject, with the outcome and its propagation.'),
      '401': html('Not signed in.'),
      '403': html('A missing scope or CSRF token.'),
      '429': html('Over the rate limit.'),
    },
  },
  {
    method: 'post',
    path: '/admin/reinstate',
    operationId: 'reinstateFromConsole',
    tag: 'console',
    summary: 'Reinstate',
    form: ['type', 'id', 'sub', '_csrf'],
    access: { console: 'reinstate' },
    responses: {
      '303': seeOther('Back to the subject, with the outcome.'),
      '400': html('No revocation named.'),
      '401': html('Not signed in.'),
      '403': html('A missing scope or CSRF token.'),
    },
  },
  {
    method: 'get',
    path: '/admin/events',
    operationId: 'streamConsoleEvents',
    tag: 'console',
    summary: 'The live view: `fleet` events (the /v1/verifiers answer) every second and `change` events',
    access: { console: true },
    responses: {
      '200': { description: 'An endless event stream.', content: { 'text/event-stream': { schema: { type: 'string' } } } },
      '401': html('Not signed in.'),
    },
  },
  {
    method: 'get',
    path: '/admin/assets/{file}',
    operationId: 'getConsoleAsset',
    tag: 'console',
    summary: "The console's stylesheet, script and icon",
    access: 'public',
    parameters: [{ name: 'file', in: 'path', required: true, schema: { enum: ['console.css', 'console.js', 'favicon.svg'] } }],
    responses: { '200': { description: 'The file.' }, '404': problem('No such file (ERR_NOT_FOUND).') },
  },
];
