import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { SECRET, signToken, startService, uniquePrefix, waitFor } from '../support/fixtures.js';

/**
 * The samples in docs/frameworks.md are the files in examples/frameworks/,
 * word for word. The integration suites (test/verifier-sdk/frameworks/)
 * import their apps; here each file also runs as users run it, as its own
 * process configured by the environment.
 */
const SAMPLES = ['express', 'fastify', 'koa', 'hono', 'nestjs', 'node-http'] as const;
const FILES = [...SAMPLES, 'verifier-from-env'];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

describe('docs/frameworks.md', () => {
  it('shows every sample file in full, as it is', () => {
    const doc = readFileSync('docs/frameworks.md', 'utf8');
    for (const name of FILES) {
      const source = readFileSync(`examples/frameworks/${name}.ts`, 'utf8');
      expect(doc.includes(`\`\`\`ts\n${source}\`\`\``), name).toBe(true);
    }
  });
});

describe('each framework sample, run as a program', () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    child?.kill();
    child = undefined;
  });

  for (const name of SAMPLES) {
    it(`${name}: starts from the environment, refuses a request without a token and answers one with a token`, async () => {
      const redisUrl = inject('redisUrl');
      const keyPrefix = uniquePrefix();
      // The service creates the key prefix's state the verifier waits for.
      const service = await startService({ redisUrl, keyPrefix });
      const port = await freePort();
      let output = '';
      try {
        child = spawn(process.execPath, ['--conditions=revocast-source', '--import', 'tsx', `examples/frameworks/${name}.ts`], {
          env: {
            ...process.env,
            TSX_TSCONFIG_PATH: 'examples/frameworks/tsconfig.json',
            REDIS_URL: redisUrl,
            REVOCAST_KEY_PREFIX: keyPrefix,
            JWT_SECRET: new TextDecoder().decode(SECRET),
            PORT: String(port),
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
        child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
        const url = `http://127.0.0.1:${port}/me`;
        let missing: Response | undefined;
        await waitFor(
          async () => {
            if (child?.exitCode !== null) throw new Error(`${name} exited: ${output}`);
            missing = await fetch(url).catch(() => undefined);
            return missing !== undefined;
          },
          45_000,
          100,
        );
        expect(missing?.status).toBe(401);
        expect(missing?.headers.get('www-authenticate')).toBe('Bearer realm="example"');
        const ok = await fetch(url, { headers: { authorization: `Bearer ${await signToken({ sub: 'sam' })}` } });
        expect(ok.status).toBe(200);
        expect(await ok.json()).toEqual({ sub: 'sam' });
      } finally {
        child?.kill();
        await service.close();
      }
    }, 60_000);
  }
});
