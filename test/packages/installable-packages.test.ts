import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The packages as a stranger gets them: built and packed from a copy of the
 * sources, installed from the tarballs into a project outside the repository
 * (dependencies from the registry), then imported, required, type-checked and
 * linted the way a new user's tools would.
 */

const run = promisify(execFile);
const root = process.cwd();
const tsc = join(root, 'node_modules/typescript/bin/tsc');
const PACKAGES = ['verifier-sdk', 'revocation-service'] as const;
type PackageDir = (typeof PACKAGES)[number];

interface Manifest {
  name: string;
  version: string;
  license?: string;
  repository?: { type: string; url: string; directory?: string };
  homepage?: string;
  bugs?: { url: string };
  exports?: Record<string, string | Record<string, string>>;
  bin?: Record<string, string>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}
interface Packed {
  manifest: Manifest;
  tarball: string;
  files: Set<string>;
  /** The staged package folder the tarball was made from. */
  dir: string;
}

const node = (args: string[], cwd: string) => run(process.execPath, args, { cwd, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
const npm = (args: string[], cwd: string) =>
  run(process.platform === 'win32' ? 'npm.cmd' : 'npm', args, { cwd, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
/** A failed command's output, so a failing assertion shows what the tool said. */
const outputOf = async (command: Promise<{ stdout: string; stderr: string }>) =>
  command.then(
    ({ stdout, stderr }) => ({ ok: true, output: stdout + stderr }),
    (err: { stdout?: string; stderr?: string; message: string }) => ({
      ok: false,
      output: `${err.stdout ?? ''}${err.stderr ?? err.message}`,
    }),
  );

let staging: string;
let consumer: string;
const packed = new Map<PackageDir, Packed>();
const get = (dir: PackageDir) => packed.get(dir) as Packed;

beforeAll(async () => {
  // Build from a staged copy, not in place: other suites import the workspace's dist/
  // while this one runs. Staged under node_modules so the compiler finds the same
  // type packages the workspace build uses.
  mkdirSync(join(root, 'node_modules/.cache'), { recursive: true });
  staging = mkdtempSync(join(root, 'node_modules/.cache/revocast-pack-'));
  cpSync(join(root, 'tsconfig.base.json'), join(staging, 'tsconfig.base.json'));
  for (const dir of PACKAGES) {
    for (const entry of ['package.json', 'tsconfig.build.json', 'src', 'README.md', 'LICENSE']) {
      if (existsSync(join(root, dir, entry))) cpSync(join(root, dir, entry), join(staging, dir, entry), { recursive: true });
    }
  }
  // The service resolves the SDK the way the workspace does: through node_modules.
  mkdirSync(join(staging, 'node_modules/@revocast'), { recursive: true });
  symlinkSync(join(staging, 'verifier-sdk'), join(staging, 'node_modules/@revocast/verifier-sdk'), 'dir');

  consumer = realpathSync(mkdtempSync(join(tmpdir(), 'revocast-consumer-')));
  for (const dir of PACKAGES) {
    await node([tsc, '-p', join(staging, dir, 'tsconfig.build.json')], root);
    const { stdout } = await npm(['pack', '--json', '--ignore-scripts', '--pack-destination', consumer], join(staging, dir));
    const [result] = JSON.parse(stdout) as [{ filename: string; files: { path: string }[] }];
    packed.set(dir, {
      manifest: JSON.parse(readFileSync(join(staging, dir, 'package.json'), 'utf8')) as Manifest,
      tarball: join(consumer, result.filename),
      files: new Set(result.files.map((f) => f.path)),
      dir: join(staging, dir),
    });
  }
}, 240_000);

afterAll(() => {
  if (staging !== undefined) rmSync(staging, { recursive: true, force: true });
  if (consumer !== undefined) rmSync(consumer, { recursive: true, force: true });
});

describe.each(PACKAGES)('the %s tarball', (dir) => {
  it('ships a README, the LICENSE of the repository and the metadata that says where it comes from', () => {
    const { files, manifest } = get(dir);
    for (const file of ['package.json', 'README.md', 'LICENSE']) expect(files, file).toContain(file);
    expect(readFileSync(join(get(dir).dir, 'LICENSE'), 'utf8')).toBe(readFileSync(join(root, 'LICENSE'), 'utf8'));
    expect(readFileSync(join(root, 'LICENSE'), 'utf8')).toContain('Apache License\n                           Version 2.0, January 2004');
    expect(manifest.license).toBe('Apache-2.0');
    expect(manifest.repository?.directory).toBe(dir);
    expect(manifest.repository?.url).toMatch(/^git\+https:\/\/.+\.git$/);
    expect(manifest.homepage).toMatch(/^https:\/\//);
    expect(manifest.bugs?.url).toMatch(/^https:\/\//);
  });

  it('ships every file its exports and bin name, and the sources its maps point at', () => {
    const { files, manifest, dir: staged } = get(dir);
    const targets = Object.values(manifest.exports ?? {}).flatMap((target) =>
      typeof target === 'string' ? [target] : Object.values(target),
    );
    for (const target of [...targets, ...Object.values(manifest.bin ?? {})]) expect(files, target).toContain(target.replace(/^\.\//, ''));
    const maps = [...files].filter((file) => file.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(0);
    for (const map of maps) {
      const { sources } = JSON.parse(readFileSync(join(staged, map), 'utf8')) as { sources: string[] };
      for (const source of sources) {
        const shipped = resolve('/', dirname(map), source).slice(1);
        expect(files, `${map} -> ${source}`).toContain(shipped);
      }
    }
  });

  it('depends on the types of every package its declarations import', () => {
    const { files, manifest, dir: staged } = get(dir);
    const dependencies = { ...manifest.dependencies, ...manifest.peerDependencies };
    const imported = new Set<string>();
    for (const file of [...files].filter((f) => f.endsWith('.d.ts'))) {
      const text = readFileSync(join(staged, file), 'utf8');
      for (const match of text.matchAll(/(?:from|import)\s*\(?\s*'([^'.][^']*)'/g)) {
        const specifier = match[1] as string;
        if (specifier.startsWith('node:')) continue;
        imported.add(specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : (specifier.split('/')[0] as string));
      }
    }
    expect(imported.size).toBeGreaterThan(0);
    for (const name of imported) {
      expect(dependencies, `${name} is imported by the declarations`).toHaveProperty([name]);
      const own = JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as Record<string, unknown>;
      const typed =
        own.types !== undefined ||
        own.typings !== undefined ||
        JSON.stringify(own.exports ?? {}).includes('"types"') ||
        existsSync(join(root, 'node_modules', name, 'index.d.ts'));
      if (!typed)
        expect(dependencies, `${name} ships no types: @types/${name} must be a dependency`).toHaveProperty([
          `@types/${name.replace('@', '').replace('/', '__')}`,
        ]);
    }
  });
});

it.each(PACKAGES)(
  'the %s tarball passes publint',
  async (dir) => {
    const result = await outputOf(node([join(root, 'node_modules/publint/src/cli.js'), 'run', '--strict', get(dir).tarball], consumer));
    expect(result.output).toContain('All good');
    expect(result.ok).toBe(true);
  },
  60_000,
);

/**
 * Installing from the registry and type-checking a consumer three ways takes
 * about a minute on a busy machine: `npm run test:packages` runs it.
 */
describe.runIf(process.env.REVOCAST_PACKAGE_INSTALL === '1')('a project outside the repository that installs both tarballs', () => {
  beforeAll(async () => {
    expect(consumer.startsWith(root)).toBe(false);
    writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    const typesNode = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> })
      .devDependencies['@types/node'];
    await npm(
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        '--ignore-scripts',
        get('verifier-sdk').tarball,
        get('revocation-service').tarball,
        `@types/node@${typesNode}`,
      ],
      consumer,
    );
    writeFileSync(
      join(consumer, 'esm.mjs'),
      `import { createVerifier, requireAuth } from '@revocast/verifier-sdk';
       import { redisKeys } from '@revocast/verifier-sdk/protocol';
       import { createApp, MemoryStore } from '@revocast/revocation-service';
       console.log(JSON.stringify({ createVerifier: typeof createVerifier, requireAuth: typeof requireAuth, meta: redisKeys('p').meta, createApp: typeof createApp, MemoryStore: typeof MemoryStore }));`,
    );
    writeFileSync(
      join(consumer, 'cjs.cjs'),
      `const { createVerifier, requireAuth } = require('@revocast/verifier-sdk');
       const { redisKeys } = require('@revocast/verifier-sdk/protocol');
       const { createApp, MemoryStore } = require('@revocast/revocation-service');
       console.log(JSON.stringify({ createVerifier: typeof createVerifier, requireAuth: typeof requireAuth, meta: redisKeys('p').meta, createApp: typeof createApp, MemoryStore: typeof MemoryStore }));`,
    );
    const consumerTs = `import { createVerifier, RevocastError, type VerifierOptions, type VerifiedClaims } from '@revocast/verifier-sdk';
import { redisKeys } from '@revocast/verifier-sdk/protocol';
import { createApp, MemoryStore, type AppDeps, type RevocationStore } from '@revocast/revocation-service';

export const options: Pick<VerifierOptions, 'algorithms'> = { algorithms: ['HS256'] };
export const makeStore = (...args: ConstructorParameters<typeof MemoryStore>): RevocationStore => new MemoryStore(...args);
export const build: (deps: AppDeps) => ReturnType<typeof createApp> = createApp;
export const keys: string = redisKeys('p').meta;
export function subjectOf(claims: VerifiedClaims): string | undefined {
  return claims.sub;
}
export const isRevocast = (err: unknown): err is RevocastError => err instanceof RevocastError;
export { createVerifier };
`;
    writeFileSync(join(consumer, 'consumer.ts'), consumerTs);
    writeFileSync(join(consumer, 'consumer.cts'), consumerTs);
  }, 300_000);

  const expected = {
    createVerifier: 'function',
    requireAuth: 'function',
    meta: '{p}:meta',
    createApp: 'function',
    MemoryStore: 'function',
  };

  it('imports both packages from ESM', async () => {
    const { stdout } = await node(['esm.mjs'], consumer);
    expect(JSON.parse(stdout)).toEqual(expected);
  });

  it('requires both packages from CommonJS (Node.js 20.19+ loads ES modules with require)', async () => {
    const { stdout } = await node(['cjs.cjs'], consumer);
    expect(JSON.parse(stdout)).toEqual(expected);
  });

  it('runs the revocast command it installs', async () => {
    const { stdout } = await node(
      [join(consumer, 'node_modules/@revocast/revocation-service', get('revocation-service').manifest.bin?.revocast as string), '--help'],
      consumer,
    );
    expect(stdout).toContain('Usage: revocast');
  });

  it.each([
    ['node16', ['--module', 'node16', '--moduleResolution', 'node16', 'consumer.ts']],
    ['bundler', ['--module', 'esnext', '--moduleResolution', 'bundler', 'consumer.ts']],
    ['nodenext, from CommonJS', ['--module', 'nodenext', '--moduleResolution', 'nodenext', 'consumer.cts']],
  ])(
    'type-checks under tsc --strict with %s resolution',
    async (_name, args) => {
      const result = await outputOf(
        node([tsc, '--strict', '--noEmit', '--skipLibCheck', 'false', '--target', 'es2022', '--types', 'node', ...args], consumer),
      );
      expect(result.output).toBe('');
      expect(result.ok).toBe(true);
    },
    120_000,
  );

  it.each(PACKAGES)(
    'passes attw (are the types wrong) for %s',
    async (dir) => {
      // ESM-only packages: Node.js 20.19+ and TypeScript's nodenext load them from
      // CommonJS too (checked above), so a require resolving to ESM is expected.
      const attw = join(root, 'node_modules/@arethetypeswrong/cli/dist/index.js');
      const result = await outputOf(
        node(
          [attw, get(dir).tarball, '--profile', 'node16', '--ignore-rules', 'cjs-resolves-to-esm', '--format', 'ascii', '--no-color'],
          consumer,
        ),
      );
      const problems = result.output.split('\n').filter((line) => /💀|❌|⚠️/.test(line) && !line.includes('ignored'));
      expect(problems).toEqual([]);
      expect(result.ok, result.output).toBe(true);
    },
    60_000,
  );
});
