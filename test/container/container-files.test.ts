import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, inject, it } from 'vitest';
import { ADMIN_SECRET, uniquePrefix, waitFor } from '../support/fixtures.js';

interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

/** Dockerfile instructions, continuation lines joined, comments dropped. */
function instructions(text: string): Instruction[] {
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const space = line.indexOf(' ');
      return { keyword: line.slice(0, space).toUpperCase(), args: line.slice(space + 1).trim() };
    });
}

/** `dist/x.js` of a workspace is built from `src/x.ts`. */
function sourceOf(built: string): string {
  return built.replace('/dist/', '/src/').replace(/\.js$/, '.ts');
}

const dockerfile = instructions(readFileSync('Dockerfile', 'utf8'));
const stages = dockerfile.reduce<Instruction[][]>((all, instruction) => {
  if (instruction.keyword === 'FROM') all.push([]);
  all.at(-1)?.push(instruction);
  return all;
}, []);
const runtime = stages.at(-1) as Instruction[];
const healthcheck = runtime.find((i) => i.keyword === 'HEALTHCHECK')?.args ?? '';
const healthcheckScript = (JSON.parse(healthcheck.slice(healthcheck.indexOf('CMD') + 3).trim()) as string[])[2] as string;

describe('the Dockerfile', () => {
  it('builds in stages and keeps only production dependencies in the runtime image', () => {
    expect(stages.length).toBeGreaterThanOrEqual(3);
    const depsStage = stages.find((stage) => stage.some((i) => i.keyword === 'RUN' && /npm ci .*--omit=dev/.test(i.args)));
    const depsName = /\bAS (\S+)/i.exec(depsStage?.[0]?.args ?? '')?.[1];
    expect(depsName).toBeDefined();
    expect(runtime.some((i) => i.keyword === 'COPY' && i.args.includes(`--from=${depsName} /app/node_modules`))).toBe(true);
    expect(runtime.some((i) => i.keyword === 'RUN' && i.args.includes('npm'))).toBe(false);
    const scripts = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts;
    for (const i of dockerfile.filter((i) => i.keyword === 'RUN')) {
      const script = /npm run (\S+)/.exec(i.args)?.[1];
      if (script !== undefined) expect(scripts[script], `npm run ${script}`).toBeDefined();
    }
  });

  it('copies only files that exist, and runs a compiled entry point that has a source', () => {
    for (const i of dockerfile.filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from'))) {
      const sources = i.args.split(/\s+/).slice(0, -1);
      for (const source of sources) expect(existsSync(source), source).toBe(true);
    }
    for (const i of runtime.filter((i) => i.keyword === 'COPY' && i.args.includes('/dist '))) {
      const packageDir = /\/app\/(\S+)\/dist /.exec(i.args)?.[1] as string;
      expect(existsSync(`${packageDir}/tsconfig.build.json`), packageDir).toBe(true);
    }
    const cmd = JSON.parse(runtime.find((i) => i.keyword === 'CMD')?.args ?? '[]') as string[];
    expect(cmd[0]).toBe('node');
    expect(existsSync(sourceOf(cmd[1] as string)), cmd[1]).toBe(true);
  });

  it('runs as a non-root user, exposes the default port and checks /healthz', () => {
    const user = runtime.filter((i) => i.keyword === 'USER').at(-1)?.args;
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user);
    const exposed = runtime.find((i) => i.keyword === 'EXPOSE')?.args;
    expect(runtime.find((i) => i.keyword === 'ENV')?.args).toContain(`PORT=${exposed}`);
    expect(healthcheckScript).toContain('/healthz');
    expect(runtime.find((i) => i.keyword === 'STOPSIGNAL')?.args).toBe('SIGTERM');
    expect(readFileSync('.dockerignore', 'utf8')).toMatch(/node_modules/);
  });

  it('uses a Node.js image the packages support, on a maintained LTS line pinned to one release', () => {
    const tag = /ARG NODE_IMAGE=node:(\S+)/.exec(readFileSync('Dockerfile', 'utf8'))?.[1] ?? '';
    const version = /^(\d+)\.(\d+)\.(\d+)(?:-|$)/.exec(tag);
    expect(version, `node:${tag} names one release (major.minor.patch)`).not.toBeNull();
    const major = Number(version?.[1]);
    const engines = (JSON.parse(readFileSync('package.json', 'utf8')) as { engines: { node: string } }).engines.node;
    expect(major).toBeGreaterThanOrEqual(Number(/>=(\d+)/.exec(engines)?.[1]));
    // Node.js 20 reached its end of life in April 2026; LTS lines are the even majors.
    expect(major).toBeGreaterThanOrEqual(22);
    expect(major % 2, 'an LTS (even) major').toBe(0);
  });
});

describe('compose.yaml', () => {
  type Service = {
    image?: string;
    build?: { context: string; dockerfile: string };
    command?: string[];
    environment?: Record<string, string>;
    ports?: string[];
    healthcheck?: { test: string[] };
    depends_on?: Record<string, { condition: string }>;
  };
  const compose = parse(readFileSync('compose.yaml', 'utf8')) as { services: Record<string, Service>; volumes: Record<string, unknown> };
  const { services } = compose;

  it('runs Redis, PostgreSQL, the service and the example app, each with a health check', () => {
    expect(Object.keys(services).sort()).toEqual(['postgres', 'redis', 'revocation-service', 'web-app']);
    for (const [name, service] of Object.entries(services)) {
      const checked = service.healthcheck !== undefined || service.build !== undefined;
      expect(checked, `${name} has a health check`).toBe(true);
      for (const dependency of Object.keys(service.depends_on ?? {})) expect(Object.keys(services)).toContain(dependency);
    }
  });

  it('wires the service to Redis and PostgreSQL by service name, and builds it from this Dockerfile', () => {
    const service = services['revocation-service'] as Service;
    expect(existsSync(`${service.build?.context}/${service.build?.dockerfile}`)).toBe(true);
    const env = service.environment ?? {};
    expect(new URL(env.REDIS_URL as string).hostname).toBe('redis');
    expect(new URL((env.DATABASE_URL as string).replace(/\$\{[^}]+\}/g, 'x')).hostname).toBe('postgres');
    expect(service.ports?.[0]).toBe(`127.0.0.1:${env.PORT}:${env.PORT}`);
    expect(env.REVOCAST_ADMIN_KEYS).toMatch(/^\$\{REVOCAST_ADMIN_KEYS:\?/);
  });

  it('pins every image it pulls to a release tag, never a floating one', () => {
    const pulled = Object.entries(services).filter(([, service]) => service.build === undefined && service.image !== services['revocation-service']?.image);
    expect(pulled.map(([name]) => name).sort()).toEqual(['postgres', 'redis']);
    for (const [name, service] of pulled) {
      const tag = /:([^:@]+)$/.exec(service.image ?? '')?.[1] ?? '';
      // `7-alpine` or `latest` move under you; `7.4.6-alpine` does not.
      expect(tag, `${name}: ${service.image}`).toMatch(/^\d+\.\d+(?:\.\d+)?(?:-[a-z0-9.]+)?$/);
    }
  });

  it('runs the example app from the same image, on an entry point that exists', () => {
    const web = services['web-app'] as Service;
    expect(web.image).toBe(services['revocation-service']?.image);
    expect(existsSync(sourceOf(web.command?.[1] as string))).toBe(true);
    expect(web.ports?.[0]).toBe(`127.0.0.1:${web.environment?.PORT}:${web.environment?.PORT}`);
    expect(web.healthcheck?.test.join(' ')).toContain(`127.0.0.1:${web.environment?.SERVICE_PORT}/healthz`);
    for (const volume of ['redis-data', 'postgres-data']) expect(Object.keys(compose.volumes)).toContain(volume);
  });
});

describe('the container entry point', () => {
  const redisUrl = inject('redisUrl');

  it('passes the image health check while up, and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--conditions=revocast-source', '--import', 'tsx', sourceOf('revocation-service/dist/main.js')], {
      env: { ...process.env, REDIS_URL: redisUrl, REVOCAST_KEY_PREFIX: uniquePrefix(), PORT: '0', REVOCAST_ADMIN_KEYS: `ops:${ADMIN_SECRET}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await waitFor(() => /"port":\d+/.test(output), 20_000, 20);
    const port = /"port":(\d+)/.exec(output)?.[1] as string;
    const probe = (p: string) => spawnSync(process.execPath, ['-e', healthcheckScript], { env: { ...process.env, PORT: p }, timeout: 10_000 }).status;
    expect(probe(port)).toBe(0);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain('"signal":"SIGTERM"');
    expect(output).toContain('"msg":"stopped"');
    expect(probe(port)).toBe(1);
  }, 40_000);
});
