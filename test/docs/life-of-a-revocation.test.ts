import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/** The walk through the code for newcomers stays true only if every file it names is where it says. */
describe('docs/life-of-a-revocation.md', () => {
  it('names only files that exist (paths relative to the repository or to a package source folder)', () => {
    const text = readFileSync('docs/life-of-a-revocation.md', 'utf8');
    const named = [...new Set([...text.matchAll(/`((?:[a-z-]+\/)+[A-Za-z0-9_.-]+\.ts)`/g)].map((m) => m[1] as string))];
    expect(named.length).toBeGreaterThan(30);
    const missing = named.filter((path) => !['', 'revocation-service/src/', 'verifier-sdk/src/'].some((base) => existsSync(base + path)));
    expect(missing).toEqual([]);
  });
});
