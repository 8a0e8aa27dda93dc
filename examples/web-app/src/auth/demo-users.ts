import type { AppStore } from '../store/app-store.js';
import { hashPassword } from './passwords.js';

/** The demo's fixed users. Their passwords are printed by `npm start`: for the demo only. */
export const DEMO_USERS: ReadonlyArray<{ readonly username: string; readonly password: string }> = [
  { username: 'alice', password: 'alice-password' },
  { username: 'bob', password: 'bob-password' },
];

/**
 * Stores each demo user with a salted scrypt hash of its password, unless it
 * is there already: a password changed in the app survives a restart on Redis.
 */
export async function seedDemoUsers(store: AppStore): Promise<void> {
  for (const { username, password } of DEMO_USERS) {
    if ((await store.passwordHash(username)) === null) await store.addUser(username, await hashPassword(password));
  }
}
