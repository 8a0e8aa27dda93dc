import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '@revocast/revocation-service';
import { CliError } from '../../revocation-service/src/cli/admin-client.js';
import { EXIT } from '../../revocation-service/src/cli/exit-codes.js';
import { SERVICE_ERROR_CODES, ServiceError } from '../../revocation-service/src/errors.js';
import { HttpProblem } from '../../revocation-service/src/http/problem.js';
import { KeysUnavailableError } from '../../revocation-service/src/oauth/token-inspector.js';
import { RedisChangedError } from '../../revocation-service/src/store/redis-projection.js';
import {
  InvalidCursorError,
  InvalidIdError,
  RecordOwnedError,
  StoreUnavailableError,
} from '../../revocation-service/src/store/revocation-store.js';

/** One of each error class the service throws, as it throws them. */
const ERRORS: ReadonlyArray<[string, ServiceError]> = [
  ['ConfigError', new ConfigError('PORT', 'must be a port number')],
  ['CliError', new CliError('set REVOCAST_ADMIN_KEY', EXIT.usage)],
  ['InvalidCursorError', new InvalidCursorError()],
  ['InvalidIdError', new InvalidIdError('jti', 'must not be empty')],
  ['RedisChangedError', new RedisChangedError()],
  ['KeysUnavailableError', new KeysUnavailableError()],
  ['StoreUnavailableError', new StoreUnavailableError('redis: connection refused', { cause: new Error('ECONNREFUSED') })],
  ['RecordOwnedError', new RecordOwnedError()],
  ['HttpProblem', new HttpProblem('ERR_NOT_FOUND', 'no such revocation')],
];

describe('the service errors', () => {
  it.each(ERRORS)('%s is a ServiceError with a stable code and its own name', (name, error) => {
    expect(error).toBeInstanceOf(ServiceError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe(name);
    expect(error.code).toMatch(/^ERR_[A-Z_]+$/);
    expect(error.message).not.toBe('');
  });

  it('keeps the inner error as cause', () => {
    const cause = new Error('ECONNREFUSED');
    expect(new StoreUnavailableError('redis: connection refused', { cause }).cause).toBe(cause);
    expect(new HttpProblem('ERR_KEYS_UNAVAILABLE', 'no key set', { cause }).cause).toBe(cause);
    expect(new InvalidCursorError().cause).toBeUndefined();
  });

  it('keeps the messages and fields callers read', () => {
    const config = new ConfigError('PORT', 'must be a port number');
    expect(config.message).toBe('PORT must be a port number');
    expect(config.variable).toBe('PORT');
    const invalid = new InvalidIdError('sub', 'must not be empty');
    expect([invalid.message, invalid.field, invalid.problem]).toEqual(['sub must not be empty', 'sub', 'must not be empty']);
    expect(new CliError('nope', EXIT.notFound).exitCode).toBe(3);
  });

  it('lists every code of a service error in the README', () => {
    const readme = readFileSync('README.md', 'utf8');
    const heading = readme.indexOf('every\nerror thrown on purpose extends `ServiceError`');
    expect(heading).toBeGreaterThan(0);
    const table = readme.slice(heading, readme.indexOf('\n\n', readme.indexOf('| code |', heading)));
    const listed = [...table.matchAll(/^\| `(ERR_[A-Z_]+)` \|/gm)].map((m) => m[1]);
    expect([...listed].sort()).toEqual([...SERVICE_ERROR_CODES].sort());
    // The classes above use only listed codes (HttpProblem's are the problem table's, checked with it).
    for (const [, error] of ERRORS) if (!(error instanceof HttpProblem)) expect(SERVICE_ERROR_CODES).toContain(error.code);
  });
});
