import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('the verifier SDK package', () => {
  it('keeps the protocol module free of heavy imports: it imports only its own files', () => {
    const dir = 'verifier-sdk/src/protocol';
    const specifiers = readdirSync(dir)
      .filter((file) => file.endsWith('.ts'))
      .flatMap((file) =>
        [...readFileSync(join(dir, file), 'utf8').matchAll(/^\s*(?:import|export)[^'"]*from\s+'([^']+)'/gm)].map((m) => m[1] as string),
      );
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

  // Both read the build of the test above.
  it('serves each framework integration from its own subpath, importable by plain Node once built', () => {
    const script = `
      const out = {};
      for (const [path, name] of [['node', 'nodeAuth'], ['fastify', 'fastifyAuth'], ['koa', 'koaAuth'], ['hono', 'honoAuth'], ['nestjs', 'RevocastGuard']]) {
        out[path] = typeof (await import('@revocast/verifier-sdk/' + path))[name];
      }
      const sdk = await import('@revocast/verifier-sdk');
      for (const name of ['extractToken', 'bearerChallenge', 'toAuthError', 'authErrorBody', 'createAuthenticator']) out[name] = typeof sdk[name];
      console.log(JSON.stringify(out));
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({
      node: 'function',
      fastify: 'function',
      koa: 'function',
      hono: 'function',
      nestjs: 'function',
      extractToken: 'function',
      bearerChallenge: 'function',
      toAuthError: 'function',
      authErrorBody: 'function',
      createAuthenticator: 'function',
    });
  }, 60_000);

  it('lets each entry load only its own framework: the main entry none, /koa and /node none, /nestjs only @nestjs/common', () => {
    /** Bare specifiers the built entry loads at run time (type-only imports are erased by then), following relative imports. */
    function runtimePackages(entry: string): string[] {
      const seen = new Set<string>();
      const packages = new Set<string>();
      const visit = (file: string) => {
        if (seen.has(file)) return;
        seen.add(file);
        const text = readFileSync(file, 'utf8');
        const statics = text.matchAll(/^\s*(?:import|export)\s+(?:[\w*{}\s,$]+from\s*)?['"]([^'"]+)['"]/gm);
        const dynamics = text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g);
        for (const m of [...statics, ...dynamics]) {
          const specifier = m[1] as string;
          if (specifier.startsWith('.')) visit(resolve(dirname(file), specifier));
          else if (!specifier.startsWith('node:'))
            packages.add(specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : (specifier.split('/')[0] as string));
        }
      };
      visit(resolve('verifier-sdk/dist', entry));
      return [...packages].sort();
    }
    const own = ['ioredis', 'jose', 'prom-client'];
    const others = (entry: string) => runtimePackages(entry).filter((name) => !own.includes(name));
    expect(others('index.js')).toEqual([]);
    expect(others('node/index.js')).toEqual([]);
    expect(others('koa/index.js')).toEqual([]);
    expect(others('fastify/index.js')).toEqual([]);
    expect(others('hono/index.js')).toEqual([]);
    expect(others('nestjs/index.js')).toEqual(['@nestjs/common']);
    const manifest = JSON.parse(readFileSync('verifier-sdk/package.json', 'utf8')) as {
      peerDependenciesMeta: Record<string, { optional: boolean }>;
    };
    expect(manifest.peerDependenciesMeta['@nestjs/common']).toEqual({ optional: true });
  }, 60_000);
});
