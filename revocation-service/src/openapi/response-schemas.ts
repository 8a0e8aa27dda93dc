import { PROBLEM_CODES } from '../http/problem.js';
import { ref, type JsonSchema } from './json-schema.js';

/*
 * What the service answers, as JSON Schema. The requests it accepts are
 * described from their zod schemas (openapi-document.ts); these answers are built
 * by hand in the routes, so a test checks real answers against them.
 */

const timestamp = { type: 'string', format: 'date-time' };
// The id as answered; what a request may carry is idField's schema.
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
  adoptedAt: {
    ...timestamp,
    description: 'When the record adopted this revocation from Redis, where a writer that bypassed the record had made it.',
  },
};

export const responseSchemas: Record<string, JsonSchema> = {
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
          {
            type: 'object',
            additionalProperties: false,
            required: ['first', 'last'],
            properties: { first: { type: 'integer' }, last: { type: 'integer' } },
          },
        ],
      },
      items: {
        type: 'array',
        items: {
          type: 'object',
          additionalProperties: false,
          required: [...REVOCATION_REQUIRED, 'changed'],
          properties: { ...REVOCATION_PROPERTIES, changed: { type: 'boolean' } },
        },
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
          offsets: {
            type: ['integer', 'null'],
            minimum: 0,
            description: 'Changes not applied yet; null while it follows another epoch (reloading).',
          },
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
      head: {
        type: 'object',
        additionalProperties: false,
        required: ['epoch', 'offset'],
        properties: { epoch: { type: ['string', 'null'] }, offset: { type: 'integer', minimum: 0 } },
      },
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
    properties: {
      epoch: { type: 'string' },
      offset: { type: 'integer' },
      op: { enum: ['revoke', 'reinstate'] },
      type: ref('RevocationType'),
      id,
      at: timestamp,
      expiresAt: timestamp,
      before: { type: 'number' },
    },
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
    properties: {
      error: { enum: ['invalid_request', 'invalid_client', 'unauthorized_client', 'unsupported_token_type'] },
      error_description: { type: 'string' },
    },
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
      code: { enum: [...PROBLEM_CODES] },
      errors: {
        type: 'array',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['field', 'message'],
          properties: { field: { type: 'string' }, message: { type: 'string' } },
        },
      },
      instance: { type: 'string' },
    },
  },
};
