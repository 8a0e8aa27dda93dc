import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('the verifier SDK package', () => {
  it('keeps the protocol module free of heavy imports: it imports only its own files', () => {
    const dir = 'verifier-sdk/src/protocol';
    const specifiers = readdirSync(dir)
      .filter((file) => file.endsWith('.ts'))
      .flatMap((file) => [...readFileSync(join(dir, file), 'utf8').matchAll(/^\s*(?:import|export)[^'"]*from\s+'([^']+)'/gm)].map((m) => m[1] as string));
    expect(specifiers.length).toBeGreaterThan(0);
    expect(specifiers.filter((specifier) => !specifier.startsWith('./'))).toEqual([]);
  });

  it('is importable by plain Node from the repository root once built', () => {
    execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'verifier-sdk/tsconfig.build.json'], { stdio: 'pipe' });
    const script = `
      const sdk = await import('@revocast/verifier-sdk');
      const protocol = await import('@revocast/verifier-sdk/protocol');
      console.log(JSON.stringify({ createVerifier: typeof sdk.createVerifier, requireAuth: typeof sdk.requireAuth, redisKeys: typeof protocol.redisKeys }));
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ createVerifier: 'function', requireAuth: 'function', redisKeys: 'function' });
  }, 60_000);
});
