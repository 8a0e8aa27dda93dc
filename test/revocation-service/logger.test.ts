import { describe, expect, it } from 'vitest';
import { createLogger } from '@revocast/revocation-service';
import { StoreUnavailableError } from '../../revocation-service/src/store/revocation-store.js';
import { captureLogs } from '../support/fixtures.js';

describe('the service logger', () => {
  it('logs an error under err with its type, message, stack and cause', () => {
    const logs = captureLogs();
    const cause = new Error('connect ECONNREFUSED 127.0.0.1:6379');
    createLogger('info', logs).warn(
      { err: new StoreUnavailableError('redis: connect ECONNREFUSED 127.0.0.1:6379', { cause }) },
      'revocation store unavailable',
    );
    const [line] = logs.lines as [{ err: Record<string, unknown>; msg: string }];
    expect(line.msg).toBe('revocation store unavailable');
    expect(line.err).toMatchObject({ type: 'StoreUnavailableError', code: 'ERR_STORE_UNAVAILABLE' });
    expect(line.err.message).toContain('redis: connect ECONNREFUSED');
    expect(line.err.stack).toContain('caused by: Error: connect ECONNREFUSED');
  });

  it('never writes the arguments of the Redis command an error failed, which can hold a password', () => {
    const logs = captureLogs();
    const err = Object.assign(new Error('WRONGPASS invalid username-password pair'), {
      command: { name: 'auth', args: ['hunter2-redis-password'] },
    });
    createLogger('info', logs).warn({ err }, 'could not publish to Redis');
    const text = JSON.stringify(logs.lines);
    expect(text).toContain('WRONGPASS');
    expect(text).toContain('"name":"auth"');
    expect(text).not.toContain('hunter2');
  });
});
