/**
 * The OpenAPI 3.1 description of every route, served at `/openapi.json`.
 * A test checks real answers against these schemas, so it cannot drift.
 */

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object, description: string) => ({ description, content: { 'application/json': { schema } } });
const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: ref('Problem') } } });
const oauthError = (description: string) => ({ description, content: { 'application/json': { schema: ref('OAuthError') } } });
const html = (description: string) => ({ description, content: { 'text/html': { schema: { type: 'string' } } } });
const seeOther = (description: string) => ({ description, headers: { Location: { schema: { type: 'string' } } } });

const ADMIN_ERRORS = {
  '401': problem('No admin key, a wrong one, or none configured (ERR_UNAUTHORIZED).'),
  '403': problem('The key lacks the scope the route needs (ERR_FORBIDDEN).'),
  '429': problem('The key is over its rate limit, or this address failed authentication too often (ERR_RATE_LIMITED); see Retry-After.'),
  '503': problem('Redis is not reachable (ERR_STORE_UNAVAILABLE); retrying is safe.'),
};

/** Write routes of a Redis-only service whose Redis belongs to a PostgreSQL record. */
const RECORD_OWNED = problem('This Redis belongs to a PostgreSQL record; nothing was written (ERR_REDIS_OWNED_BY_RECORD): send changes to the service that owns the record, or set DATABASE_URL.');

const WAIT_PARAMETERS = [
  { name: 'wait', in: 'query', description: 'Answer once every live verifier has applied the change, or at the timeout.', schema: { const: 'all' } },
  { name: 'timeout', in: 'query', description: 'How long wait=all waits: 500ms, 2s (default), at most 30s; a bare number is seconds.', schema: { type: 'string', pattern: '^\\d{1,6}(ms|s)?$' } },
];

const TYPE_AND_ID = [
  { name: 'type', in: 'path', required: true, schema: ref('RevocationType') },
  { name: 'id', in: 'path', required: true, description: 'The jti, sub or sid.', schema: { type: 'string', minLength: 1, maxLength: 256 } },
];

const OAUTH_FORM = {
  required: true,
  content: {
    'application/x-www-form-urlencoded': {
      schema: {
        type: 'object',
        required: ['token'],
        properties: { token: { type: 'string', description: 'The raw JWT.' }, token_type_hint: { type: 'string', description: 'Accepted and ignored: every token is read as a JWT.' } },
      },
    },
  },
};

const timestamp = { type: 'string', format: 'date-time' };
const epochSeconds = { type: 'number', exclusiveMinimum: 0 };
const id = { type: 'string', minLength: 1, maxLength: 256 };

const REVOCATION_REQUIRED = ['type', 'revokedBy', 'revokedAt', 'expiresAt'];
const REVOCATION_PROPERTIES = {
  type: ref('RevocationType'),
  jti: id,
  sid: id,
  sub: id,
  exp: { type: 'number' },
  before: { type: 'number', description: 'Subject cutoff, epoch seconds with milliseconds.' },
  reason: { type: 'string' },
  revokedBy: { type: 'string', description: 'Name of the admin key.' },
  revokedAt: timestamp,
  expiresAt: timestamp,
  offset: { type: 'integer', minimum: 1 },
  adoptedAt: { ...timestamp, description: 'When the record adopted this revocation from Redis, where a writer that bypassed the record had made it.' },
};

export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'Revocast revocation service',
    version: '0.1.0',
    description: 'Records JWT revocations and publishes them to every verifier; shows how far each change has propagated.',
    license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
  },
  security: [{ adminKey: [] }],
  tags: [
    { name: 'revocations', description: 'Revoke, list, show and reinstate.' },
    { name: 'fleet', description: 'Live verifiers and the change stream.' },
    { name: 'oauth', description: 'RFC 7009 revocation and RFC 7662 introspection.' },
    { name: 'operations', description: 'Health, readiness, metrics and this document.' },
    { name: 'console', description: 'The server-rendered admin console for browsers.' },
  ],
  paths: {
    '/v1/revocations': {
      post: {
        tags: ['revocations'],
        summary: 'Revoke a token, a subject or a session (scope: revoke)',
        parameters: WAIT_PARAMETERS,
        requestBody: { required: true, content: { 'application/json': { schema: ref('RevocationInput') } } },
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
      get: {
        tags: ['revocations'],
        summary: 'List live revocations (scope: read)',
        parameters: [
          { name: 'type', in: 'query', schema: ref('RevocationType') },
          { name: 'sub', in: 'query', description: "Only this user's revocations, in a stable order.", schema: id },
          { name: 'limit', in: 'query', schema: { type: 'string', pattern: '^\\d{1,4}$' }, description: '1 to 1000, default 100.' },
          { name: 'cursor', in: 'query', schema: { type: 'string' }, description: 'nextCursor of the previous page.' },
        ],
        responses: { '200': json(ref('RevocationPage'), 'One page.'), '400': problem('A bad query (ERR_VALIDATION).'), ...ADMIN_ERRORS },
      },
    },
    '/v1/revocations/batch': {
      post: {
        tags: ['revocations'],
        summary: 'Revoke up to 10,000 things at once, all or nothing (scope: revoke)',
        description: 'Each item takes the fields and rules of POST /v1/revocations. The changes get one contiguous range of offsets; wait=all waits for the last one.',
        parameters: WAIT_PARAMETERS,
        requestBody: { required: true, content: { 'application/json': { schema: ref('BatchInput') } } },
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
    },
    '/v1/revocations/{type}/{id}': {
      get: {
        tags: ['revocations'],
        summary: 'Show one revocation (scope: read)',
        parameters: TYPE_AND_ID,
        responses: { '200': json(ref('Revocation'), 'The revocation in force.'), '404': problem('None (ERR_NOT_FOUND).'), '400': problem('A bad type or id.'), ...ADMIN_ERRORS },
      },
      delete: {
        tags: ['revocations'],
        summary: 'Reinstate: lift a revocation (scope: reinstate)',
        parameters: [...TYPE_AND_ID, { name: 'reason', in: 'query', schema: { type: 'string', maxLength: 500 } }, ...WAIT_PARAMETERS],
        responses: {
          '200': json(ref('ReinstateAnswer'), 'Removed and published.'),
          '404': problem('There was nothing to reinstate (ERR_NOT_FOUND).'),
          '400': problem('A bad type, id or query.'),
          '409': RECORD_OWNED,
          '501': problem('wait=all without a view of the verifiers (ERR_NOT_CONFIGURED).'),
          ...ADMIN_ERRORS,
        },
      },
    },
    '/v1/verifiers': {
      get: {
        tags: ['fleet'],
        summary: 'Live verifiers and their lag (scope: read)',
        responses: { '200': json(ref('FleetAnswer'), 'Every verifier whose heartbeat report has not expired.'), '501': problem('No view of the verifiers (ERR_NOT_CONFIGURED).'), ...ADMIN_ERRORS },
      },
    },
    '/v1/changes/stream': {
      get: {
        tags: ['fleet'],
        summary: 'Every change as it is published, as Server-Sent Events (scope: read)',
        description:
          'Each event is `event: change`, `id: <epoch>:<offset>:<streamId>`, `data: <Change JSON>`; a comment line every 15 s keeps proxies from closing it. With `Last-Event-ID`, every change the stream still holds after that id comes first, in order and once. The stream ends when the service shuts down; reconnect and resume.',
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
          '200': { description: 'An endless event stream.', content: { 'text/event-stream': { schema: { type: 'string' }, 'x-event-schema': ref('Change') } } },
          '400': problem('Last-Event-ID is not an id this stream sent (ERR_VALIDATION).'),
          '501': problem('No view of the verifiers (ERR_NOT_CONFIGURED).'),
          ...ADMIN_ERRORS,
        },
      },
    },
    '/oauth2/revoke': {
      post: {
        tags: ['oauth'],
        summary: 'RFC 7009 token revocation (scope: revoke)',
        description:
          'Revokes the jti until exp, and the session when the token carries a sid. The token must verify with the configured keys; an invalid, forged or expired token is answered 200 and revokes nothing.',
        parameters: WAIT_PARAMETERS,
        requestBody: OAUTH_FORM,
        responses: {
          '200': json(ref('OAuthRevokeAnswer'), 'Revoked, or nothing to revoke.'),
          '400': oauthError('invalid_request (a body that cannot be read, or more than 10 fields), or unsupported_token_type for a token with neither jti nor sid.'),
          '401': oauthError('invalid_client: no or a wrong admin key.'),
          '403': oauthError('unauthorized_client: the key lacks the revoke scope.'),
          '413': oauthError('invalid_request: the body is over 16 kB.'),
          '415': oauthError('invalid_request: a charset other than UTF-8, or an unknown Content-Encoding.'),
          '429': problem('The key is over its rate limit, or this address failed authentication too often.'),
          '501': problem('No verification keys are configured (ERR_NOT_CONFIGURED).'),
          '503': problem('The key set or the store is unreachable (ERR_KEYS_UNAVAILABLE, ERR_STORE_UNAVAILABLE).'),
        },
      },
    },
    '/oauth2/introspect': {
      post: {
        tags: ['oauth'],
        summary: 'RFC 7662 token introspection (scope: read)',
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
    },
    '/healthz': { get: { tags: ['operations'], summary: 'The process is up', security: [], responses: { '200': json(ref('Status'), 'Up.') } } },
    '/readyz': {
      get: { tags: ['operations'], summary: 'The store answers', security: [], responses: { '200': json(ref('Status'), 'Ready.'), '503': problem('Redis is not reachable.') } },
    },
    '/metrics': {
      get: { tags: ['operations'], summary: 'Prometheus metrics (docs/metrics.md)', security: [], responses: { '200': { description: 'Text exposition format.', content: { 'text/plain': { schema: { type: 'string' } } } } } },
    },
    '/openapi.json': { get: { tags: ['operations'], summary: 'This document', security: [], responses: { '200': json({ type: 'object', required: ['openapi', 'paths'] }, 'OpenAPI 3.1.') } } },
    '/admin': {
      get: {
        tags: ['console'],
        summary: 'The console; ?sub= shows one subject',
        security: [{ consoleSession: [] }],
        parameters: [{ name: 'sub', in: 'query', schema: id }],
        responses: { '200': html('The console page.'), '303': seeOther('Not signed in: to /admin/login.') },
      },
    },
    '/admin/login': {
      get: { tags: ['console'], summary: 'The sign-in form', security: [], responses: { '200': html('The form, with a CSRF token.') } },
      post: {
        tags: ['console'],
        summary: 'Sign in with an admin key (form: key, _csrf)',
        security: [],
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
    },
    '/admin/logout': { post: { tags: ['console'], summary: 'Sign out (form: _csrf)', security: [{ consoleSession: [] }], responses: { '303': seeOther('To /admin/login.'), '401': html('Not signed in.'), '403': html('A missing or wrong CSRF token.') } } },
    '/admin/revoke': {
      post: {
        tags: ['console'],
        summary: 'Revoke a subject or a session (form: type, sub, sid, reason, _csrf; scope: revoke)',
        security: [{ consoleSession: [] }],
        responses: { '303': seeOther('Back to the subject, with the outcome and its propagation.'), '401': html('Not signed in.'), '403': html('A missing scope or CSRF token.'), '429': html('Over the rate limit.') },
      },
    },
    '/admin/reinstate': {
      post: {
        tags: ['console'],
        summary: 'Reinstate (form: type, id, sub, _csrf; scope: reinstate)',
        security: [{ consoleSession: [] }],
        responses: { '303': seeOther('Back to the subject, with the outcome.'), '400': html('No revocation named.'), '401': html('Not signed in.'), '403': html('A missing scope or CSRF token.') },
      },
    },
    '/admin/events': {
      get: {
        tags: ['console'],
        summary: 'The live view: `fleet` events (the /v1/verifiers answer) every second and `change` events',
        security: [{ consoleSession: [] }],
        responses: { '200': { description: 'An endless event stream.', content: { 'text/event-stream': { schema: { type: 'string' } } } }, '401': html('Not signed in.') },
      },
    },
    '/admin/assets/{file}': {
      get: {
        tags: ['console'],
        summary: "The console's stylesheet, script and icon",
        security: [],
        parameters: [{ name: 'file', in: 'path', required: true, schema: { enum: ['console.css', 'console.js', 'favicon.svg'] } }],
        responses: { '200': { description: 'The file.' } },
      },
    },
  },
  components: {
    securitySchemes: {
      adminKey: { type: 'http', scheme: 'bearer', description: 'An admin key secret from REVOCAST_ADMIN_KEYS; its scopes decide what it may do.' },
      consoleSession: { type: 'apiKey', in: 'cookie', name: 'revocast_console', description: 'Set by signing in at /admin/login.' },
    },
    schemas: {
      RevocationType: { enum: ['token', 'subject', 'session'] },
      RevocationInput: {
        oneOf: [
          { type: 'object', additionalProperties: false, required: ['type', 'jti', 'exp'], properties: { type: { const: 'token' }, jti: id, exp: epochSeconds, sub: id, reason: { type: 'string', maxLength: 500 } } },
          { type: 'object', additionalProperties: false, required: ['type', 'sub'], properties: { type: { const: 'subject' }, sub: id, before: epochSeconds, reason: { type: 'string', maxLength: 500 } } },
          { type: 'object', additionalProperties: false, required: ['type', 'sid'], properties: { type: { const: 'session' }, sid: id, exp: epochSeconds, sub: id, reason: { type: 'string', maxLength: 500 } } },
        ],
      },
      Revocation: { type: 'object', additionalProperties: false, required: REVOCATION_REQUIRED, properties: REVOCATION_PROPERTIES },
      Propagation: {
        type: 'object',
        additionalProperties: false,
        required: ['applied', 'total', 'ms', 'complete', 'pending', 'message'],
        properties: {
          applied: { type: 'integer', minimum: 0 },
          total: { type: 'integer', minimum: 0 },
          ms: { type: 'integer', minimum: 0 },
          complete: { type: 'boolean' },
          pending: { type: 'array', items: { type: 'string' } },
          message: { type: 'string', examples: ['applied on 12 of 12 verifiers in 4 ms'] },
        },
      },
      BatchInput: {
        type: 'object',
        additionalProperties: false,
        required: ['items'],
        properties: { items: { type: 'array', minItems: 1, maxItems: 10_000, items: ref('RevocationInput') } },
      },
      BatchAnswer: {
        type: 'object',
        additionalProperties: false,
        required: ['changed', 'unchanged', 'offsets', 'items'],
        properties: {
          changed: { type: 'integer', minimum: 0 },
          unchanged: { type: 'integer', minimum: 0 },
          offsets: {
            oneOf: [
              { type: 'null' },
              { type: 'object', additionalProperties: false, required: ['first', 'last'], properties: { first: { type: 'integer' }, last: { type: 'integer' } } },
            ],
          },
          items: {
            type: 'array',
            items: { type: 'object', additionalProperties: false, required: [...REVOCATION_REQUIRED, 'changed'], properties: { ...REVOCATION_PROPERTIES, changed: { type: 'boolean' } } },
          },
          propagation: ref('Propagation'),
        },
      },
      RevokeAnswer: {
        type: 'object',
        additionalProperties: false,
        required: REVOCATION_REQUIRED,
        properties: { ...REVOCATION_PROPERTIES, propagation: ref('Propagation') },
      },
      RevocationPage: {
        type: 'object',
        additionalProperties: false,
        required: ['items', 'nextCursor'],
        properties: { items: { type: 'array', items: ref('Revocation') }, nextCursor: { type: ['string', 'null'] } },
      },
      ReinstateAnswer: {
        type: 'object',
        additionalProperties: false,
        required: ['reinstated', 'offset'],
        properties: { reinstated: ref('Revocation'), offset: { type: 'integer', minimum: 1 }, propagation: ref('Propagation') },
      },
      Verifier: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'host', 'sdkVersion', 'state', 'epoch', 'offset', 'lastSyncAt', 'reportedAt', 'startedAt', 'lag'],
        properties: {
          id: { type: 'string' },
          host: { type: 'string' },
          sdkVersion: { type: 'string' },
          state: { enum: ['starting', 'ready', 'stale', 'closed'] },
          epoch: { type: ['string', 'null'] },
          offset: { type: 'integer', minimum: 0 },
          lastSyncAt: { oneOf: [timestamp, { type: 'null' }] },
          reportedAt: timestamp,
          startedAt: timestamp,
          lag: {
            type: 'object',
            additionalProperties: false,
            required: ['offsets', 'seconds'],
            properties: {
              offsets: { type: ['integer', 'null'], minimum: 0, description: 'Changes not applied yet; null while it follows another epoch (reloading).' },
              seconds: { type: ['number', 'null'], minimum: 0, description: 'How long the oldest change it has not applied has been waiting.' },
            },
          },
        },
      },
      FleetAnswer: {
        type: 'object',
        additionalProperties: false,
        required: ['head', 'verifiers', 'summary'],
        properties: {
          head: { type: 'object', additionalProperties: false, required: ['epoch', 'offset'], properties: { epoch: { type: ['string', 'null'] }, offset: { type: 'integer', minimum: 0 } } },
          verifiers: { type: 'array', items: ref('Verifier') },
          summary: {
            type: 'object',
            additionalProperties: false,
            required: ['live', 'current', 'behind', 'stale'],
            properties: { live: { type: 'integer' }, current: { type: 'integer' }, behind: { type: 'integer' }, stale: { type: 'integer' } },
          },
        },
      },
      Change: {
        type: 'object',
        additionalProperties: false,
        required: ['epoch', 'offset', 'op', 'type', 'id', 'at'],
        properties: { epoch: { type: 'string' }, offset: { type: 'integer' }, op: { enum: ['revoke', 'reinstate'] }, type: ref('RevocationType'), id, at: timestamp, expiresAt: timestamp, before: { type: 'number' } },
      },
      OAuthRevokeAnswer: {
        type: 'object',
        additionalProperties: false,
        required: ['revoked'],
        properties: {
          revoked: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['type', 'id', 'changed'],
              properties: { type: ref('RevocationType'), id, offset: { type: 'integer' }, changed: { type: 'boolean' } },
            },
          },
          propagation: ref('Propagation'),
        },
      },
      Introspection: {
        oneOf: [
          { type: 'object', additionalProperties: false, required: ['active'], properties: { active: { const: false } } },
          {
            type: 'object',
            required: ['active', 'token_type'],
            properties: {
              active: { const: true },
              token_type: { const: 'access_token' },
              sub: { type: 'string' },
              jti: { type: 'string' },
              sid: { type: 'string' },
              exp: { type: 'number' },
              iat: { type: 'number' },
              nbf: { type: 'number' },
              iss: { type: 'string' },
              aud: { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
              scope: { type: 'string' },
              client_id: { type: 'string' },
            },
          },
        ],
      },
      OAuthError: {
        type: 'object',
        additionalProperties: false,
        required: ['error', 'error_description'],
        properties: { error: { enum: ['invalid_request', 'invalid_client', 'unauthorized_client', 'unsupported_token_type'] }, error_description: { type: 'string' } },
      },
      Status: { type: 'object', additionalProperties: false, required: ['status'], properties: { status: { enum: ['ok', 'ready'] } } },
      Problem: {
        type: 'object',
        additionalProperties: false,
        required: ['type', 'title', 'status', 'detail', 'code'],
        properties: {
          type: { type: 'string', pattern: '^urn:revocast:problem:' },
          title: { type: 'string' },
          status: { type: 'integer' },
          detail: { type: 'string' },
          code: {
            enum: [
              'ERR_VALIDATION',
              'ERR_UNAUTHORIZED',
              'ERR_FORBIDDEN',
              'ERR_NOT_FOUND',
              'ERR_BODY_TOO_LARGE',
              'ERR_UNSUPPORTED_MEDIA_TYPE',
              'ERR_RATE_LIMITED',
              'ERR_NOT_CONFIGURED',
              'ERR_KEYS_UNAVAILABLE',
              'ERR_STORE_UNAVAILABLE',
              'ERR_REDIS_OWNED_BY_RECORD',
              'ERR_INTERNAL',
            ],
          },
          errors: {
            type: 'array',
            items: { type: 'object', additionalProperties: false, required: ['field', 'message'], properties: { field: { type: 'string' }, message: { type: 'string' } } },
          },
          instance: { type: 'string' },
        },
      },
    },
  },
} as const;
