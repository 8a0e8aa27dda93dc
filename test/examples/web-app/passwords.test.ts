import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from '../../../examples/web-app/src/auth/passwords.js';

describe('demo user passwords', () => {
  it('are hashed with scrypt and a fresh salt: the same password never gives the same hash', async () => {
    const [one, two] = await Promise.all([hashPassword('alice-password'), hashPassword('alice-password')]);
    expect(one).toMatch(/^scrypt\$16384\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(one).not.toBe(two);
    expect(one).not.toContain('alice-password');
  });

  it('match only the right password', async () => {
    const hash = await hashPassword('alice-password');
    expect(await verifyPassword('alice-password', hash)).toBe(true);
    expect(await verifyPassword('alice-passworD', hash)).toBe(false);
    expect(await verifyPassword('', hash)).toBe(false);
  });

  it('never match a malformed or tampered hash', async () => {
    const hash = await hashPassword('alice-password');
    expect(await verifyPassword('alice-password', 'alice-password')).toBe(false);
    expect(await verifyPassword('alice-password', hash.replace('$16384$', '$3$'))).toBe(false);
    expect(await verifyPassword('alice-password', hash.slice(0, -2))).toBe(false);
  });
});
