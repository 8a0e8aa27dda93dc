import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FormClient } from '../support/example-app.js';
import { ADMIN_SECRET, DATABASE_URL, sql, uniquePrefix, waitFor } from '../support/fixtures.js';
import { freePort, startRedisServer, type RedisHandle } from '../support/redis-server.js';
import { startSourceProcess, type SourceProcess } from '../support/source-process.js';

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
    for (const i of dockerfile.filter((step) => step.keyword === 'RUN')) {
      const script = /npm run (\S+)/.exec(i.args)?.[1];
      if (script !== undefined) expect(scripts[script], `npm run ${script}`).toBeDefined();
    }
  });

  it('copies only files that exist, and runs a compiled entry point that has a source', () => {
    for (const i of dockerfile.filter((step) => step.keyword === 'COPY' && !step.args.startsWith('--from'))) {
      const sources = i.args.split(/\s+/).slice(0, -1);
      for (const source of sources) expect(existsSync(source), source).toBe(true);
    }
    for (const i of runtime.filter((step) => step.keyword === 'COPY' && step.args.includes('/dist '))) {
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
    const pulled = Object.entries(services).filter(
      ([, service]) => service.build === undefined && service.image !== services['revocation-service']?.image,
    );
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
    expect(web.healthcheck?.test.join(' ')).toContain(`127.0.0.1:${web.environment?.PORT}/`);
    for (const volume of ['redis-data', 'postgres-data']) expect(Object.keys(compose.volumes)).toContain(volume);
  });

  it("sends the example app's revocations through the service, as a real deployment would, never straight to Redis", () => {
    const web = (services['web-app'] as Service).environment ?? {};
    const service = (services['revocation-service'] as Service).environment ?? {};
    // Client mode: the service's URL by its compose name, and an admin key the service holds.
    const target = new URL(web.REVOCAST_SERVICE_URL as string);
    expect(target.hostname).toBe('revocation-service');
    expect(target.port).toBe(service.PORT);
    const appKey = /^\$\{(\w+)/.exec(web.REVOCAST_ADMIN_KEY as string)?.[1] as string;
    expect(service.REVOCAST_ADMIN_KEYS).toContain(`web-app:\${${appKey}`);
    // No embedded service (which would write to Redis itself, bypassing the record).
    expect(web.SERVICE_PORT).toBeUndefined();
    expect(web.DATABASE_URL).toBeUndefined();
  });
});

/** Values compose would take from the shell, and where each compose host runs here. */
interface Topology {
  readonly variables: Record<string, string>;
  readonly hosts: Record<string, string>;
}

/** `${NAME}`, `${NAME:-default}` and `${NAME:?message}` as compose interpolates them; a missing required one fails. */
function interpolate(value: string, variables: Record<string, string>): string {
  return value.replace(/\$\{(\w+)(?::([-?])([^}]*))?\}/g, (_, name: string, kind: string | undefined, rest: string | undefined) => {
    const found = variables[name];
    if (found !== undefined && found !== '') return found;
    if (kind === '-') return rest ?? '';
    throw new Error(`compose would refuse to start: ${name} is not set (${rest ?? ''})`);
  });
}

/** A compose service's environment for a process on this machine: interpolated, compose hosts pointed at local ones. */
function composeEnvironment(service: { environment?: Record<string, string> }, topology: Topology): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, raw] of Object.entries(service.environment ?? {})) {
    let value = interpolate(String(raw), topology.variables);
    for (const [host, local] of Object.entries(topology.hosts))
      value = value.replace(new RegExp(`^(\\w+(?:\\+\\w+)?://(?:[^@/]*@)?)${host}:\\d+`), `$1${local}`);
    env[name] = value;
  }
  if (env.HOST === '0.0.0.0') env.HOST = '127.0.0.1';
  return env;
}

/**
 * The processes of compose.yaml, with compose.yaml's environment, on this
 * machine instead of in containers: a Redis of its own, the test PostgreSQL
 * (a schema of its own), the service and the example app from source.
 */
describe('the compose topology, without Docker', () => {
  const compose = parse(readFileSync('compose.yaml', 'utf8')) as { services: Record<string, { environment?: Record<string, string> }> };
  const schema = uniquePrefix();
  let redis: RedisHandle | undefined;
  const processes: SourceProcess[] = [];

  afterAll(async () => {
    for (const child of processes.reverse()) await child.stop();
    await redis?.stop();
    await sql(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  });

  const base = { PATH: process.env.PATH ?? '', NODE_ENV: 'production' };
  let appEnv: Record<string, string> = {};
  let service = '';

  beforeAll(async () => {
    redis = await startRedisServer();
    const servicePort = await freePort();
    const database = new URL(DATABASE_URL);
    const topology: Topology = {
      variables: {
        REVOCAST_ADMIN_KEYS: `ops:${ADMIN_SECRET}`,
        WEB_APP_ADMIN_KEY: 'web-app-key-for-the-compose-test',
        DEMO_SIGNING_SECRET: 'demo-signing-secret-of-at-least-32-characters',
      },
      hosts: { redis: `127.0.0.1:${redis.port}`, postgres: database.host, 'revocation-service': `127.0.0.1:${servicePort}` },
    };
    const serviceEnv = composeEnvironment(compose.services['revocation-service'] as { environment?: Record<string, string> }, topology);
    appEnv = composeEnvironment(compose.services['web-app'] as { environment?: Record<string, string> }, topology);
    // Only what cannot be the same on a shared machine differs: ports, the database's credentials and schema, and a
    // reconciliation every second instead of every minute, so that the test sees several.
    const db = new URL(serviceEnv.DATABASE_URL as string);
    db.username = database.username;
    db.password = database.password;
    db.pathname = database.pathname;
    processes.push(
      await startSourceProcess(
        sourceOf('revocation-service/dist/main.js'),
        {
          ...base,
          ...serviceEnv,
          PORT: String(servicePort),
          DATABASE_URL: db.toString(),
          REVOCAST_DATABASE_SCHEMA: schema,
          REVOCAST_RECONCILE_INTERVAL: '1s',
        },
        /"msg":"listening"|"port":\d+/,
        30_000,
      ),
    );
    service = `http://127.0.0.1:${servicePort}`;
  }, 60_000);

  it("keeps an app sign-out revoked through the PostgreSQL service's reconciliations", async () => {
    const appPort = await freePort();
    processes.push(
      await startSourceProcess(
        sourceOf('examples/web-app/dist/main.js'),
        { ...base, ...appEnv, PORT: String(appPort) },
        /Revocast is running/,
        30_000,
      ),
    );
    const app = `http://127.0.0.1:${appPort}`;

    // Alice signs in; a thief copies her access token.
    const alice = new FormClient(app);
    expect((await alice.signIn('alice', 'alice-password', 'laptop')).status).toBe(303);
    const stolen = alice.cookies.get('access_token') as string;
    const hello = async () => (await fetch(`${app}/api/hello`, { headers: { authorization: `Bearer ${stolen}` } })).status;
    expect(await hello()).toBe(200);

    // She signs out: the app asks the service, which records it in PostgreSQL.
    expect((await alice.post('/sign-out', {})).status).toBe(303);
    await waitFor(async () => (await hello()) === 401, 10_000, 20);
    const reconciliations = async () => {
      const text = await (await fetch(`${service}/metrics`)).text();
      return [...text.matchAll(/^revocast_reconcile_runs_total\{result="\w+"\} (\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
    };
    const before = await reconciliations();
    // Through at least three reconciliations, the stolen token stays refused, every time it is tried.
    let accepted = 0;
    await waitFor(
      async () => {
        if ((await hello()) !== 401) accepted++;
        return (await reconciliations()) >= before + 3;
      },
      30_000,
      50,
    );
    expect(accepted).toBe(0);
    const metrics = await (await fetch(`${service}/metrics`)).text();
    expect(metrics).not.toMatch(/^revocast_redis_adopted_total [1-9]/m);
    // The sign-out is in the record, audited as the app's.
    const { rows } = { rows: await sql<{ record: { revokedBy: string; type: string } }>(`SELECT record FROM "${schema}".revocations`) };
    expect(rows.map((row) => [row.record.type, row.record.revokedBy])).toEqual([['session', 'web-app']]);
  }, 120_000);

  it('refuses the app in its embedded mode on that Redis: its sign-out fails visibly and says what to do, nothing is wiped', async () => {
    // The app as the old compose.yaml ran it: REDIS_URL only, its own service inside, writing to Redis itself.
    const { REVOCAST_SERVICE_URL: _url, REVOCAST_ADMIN_KEY: _key, ...embeddedEnv } = appEnv;
    const [appPort, innerPort] = [await freePort(), await freePort()];
    const embedded = await startSourceProcess(
      sourceOf('examples/web-app/dist/main.js'),
      { ...base, ...embeddedEnv, PORT: String(appPort), SERVICE_PORT: String(innerPort), REVOCAST_ADMIN_KEYS: `ops:${ADMIN_SECRET}` },
      /Revocast is running/,
      30_000,
    );
    processes.push(embedded);
    const app = `http://127.0.0.1:${appPort}`;
    const bob = new FormClient(app);
    expect((await bob.signIn('bob', 'bob-password', 'laptop')).status).toBe(303);
    const signOut = await bob.post('/sign-out', {});
    // A clear refusal, never a 500 and never a silent success that the record would later undo.
    expect(signOut.status).toBe(503);
    expect(await signOut.text()).toContain('refused the change');
    await waitFor(() => embedded.output().includes('ERR_REDIS_OWNED_BY_RECORD'), 10_000, 20);
    expect(embedded.output()).toMatch(/point this writer at the revocation service[^"]*DATABASE_URL/);
    const metrics = await (await fetch(`${service}/metrics`)).text();
    expect(metrics).not.toMatch(/^revocast_redis_adopted_total [1-9]/m);
  }, 120_000);
});

describe('the container entry point', () => {
  const redisUrl = inject('redisUrl');

  it('passes the image health check while up, and exits 0 on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      ['--conditions=revocast-source', '--import', 'tsx', sourceOf('revocation-service/dist/main.js')],
      {
        env: {
          ...process.env,
          REDIS_URL: redisUrl,
          REVOCAST_KEY_PREFIX: uniquePrefix(),
          PORT: '0',
          REVOCAST_ADMIN_KEYS: `ops:${ADMIN_SECRET}`,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await waitFor(() => /"port":\d+/.test(output), 20_000, 20);
    const port = /"port":(\d+)/.exec(output)?.[1] as string;
    const probe = (p: string) =>
      spawnSync(process.execPath, ['-e', healthcheckScript], { env: { ...process.env, PORT: p }, timeout: 10_000 }).status;
    expect(probe(port)).toBe(0);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain('"signal":"SIGTERM"');
    expect(output).toContain('"msg":"stopped"');
    expect(probe(port)).toBe(1);
  }, 40_000);
});
