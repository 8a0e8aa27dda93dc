import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

/** A Redis that a test owns and may stop, kill, pause or empty. */
export interface RedisHandle {
  readonly url: string;
  readonly port: number;
  /**
   * Starts it again on the same port: with no data, or with what it persisted
   * when started with `persist`. `args` replaces the extra arguments it was
   * started with (a node may come back as a replica of another).
   */
  start(args?: readonly string[]): Promise<void>;
  /** Deletes what it persisted (call while it is down): the next start is empty. */
  wipe(): void;
  /** Its working directory (persisted data, cluster or Sentinel config). */
  readonly dir: string;
  /** Kills it at once (SIGKILL): no clean shutdown. */
  kill(): Promise<void>;
  /** Freezes the process (SIGSTOP) so it hangs without closing connections. */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

export function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

async function waitForPing(url: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.ping();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`redis at ${url} did not answer: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      client.disconnect();
    }
  }
}

export interface RedisServerOptions {
  /** Keep an append-only file (fsync every write), so a restart after a kill comes back with the data. */
  readonly persist?: boolean;
  /** More `redis-server` arguments (`--replicaof`, `--cluster-enabled`, ...). */
  readonly args?: readonly string[];
  /** Run as a Sentinel with this configuration file content (`port` and `dir` are added). */
  readonly sentinelConfig?: string;
}

/** Spawns `redis-server` on a free port, keeping nothing on disk unless asked to. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisHandle> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), `revocast-redis-${port}-`));
  let child: ChildProcess | undefined;
  let extraArgs = options.args ?? [];

  function args(): string[] {
    const persistence = options.persist === true ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
    const common = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--loglevel', 'warning'];
    if (options.sentinelConfig === undefined) return [...common, ...persistence, ...extraArgs];
    // Sentinel rewrites its configuration file (it records what it learns), so each one keeps its own.
    const file = join(dir, 'sentinel.conf');
    if (!existsSync(file)) writeFileSync(file, options.sentinelConfig);
    return [file, '--sentinel', '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--loglevel', 'warning'];
  }

  async function start(replacedArgs?: readonly string[]): Promise<void> {
    if (replacedArgs !== undefined) extraArgs = replacedArgs;
    const proc = spawn('redis-server', args(), { stdio: 'ignore' });
    child = proc;
    await waitForPing(url);
  }

  async function kill(): Promise<void> {
    const proc = child;
    child = undefined;
    if (proc === undefined || proc.exitCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGCONT');
    proc.kill('SIGKILL');
    await exited;
  }

  await start();
  return {
    url,
    port,
    dir,
    start: (replacedArgs) => start(replacedArgs),
    kill,
    wipe: () => {
      for (const name of ['appendonlydir', 'dump.rdb', 'nodes.conf']) rmSync(join(dir, name), { recursive: true, force: true });
    },
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
    stop: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A Redis for the run: `REDIS_URL` when set, else a spawned `redis-server`,
 * else a container through testcontainers (needs Docker).
 */
export async function provideRedis(): Promise<{ url: string; stop(): Promise<void> }> {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL, stop: async () => {} };
  if (hasRedisServer()) {
    const server = await startRedisServer();
    return { url: server.url, stop: server.stop };
  }
  const { GenericContainer } = await import('testcontainers');
  const container = await new GenericContainer('redis:7-alpine').withExposedPorts(6379).start();
  return {
    url: `redis://${container.getHost()}:${container.getMappedPort(6379)}`,
    stop: async () => {
      await container.stop();
    },
  };
}
