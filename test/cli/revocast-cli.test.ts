import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { build } from 'esbuild';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Verifier } from '@revocast/verifier-sdk';
import { encodeReport, redisKeys } from '@revocast/verifier-sdk/protocol';
import { ADMIN_SECRET, startService, testVerifier, uniquePrefix, waitFor, type ServiceHandle } from '../support/fixtures.js';
import { startPrefixProxy } from '../support/prefix-proxy.js';

/** The file the package's `bin` is built from. */
const BIN = 'revocation-service/src/cli/revocast.ts';
/**
 * The bin compiled once (esbuild, as tsc compiles it into dist/) and run with
 * plain node: a tsx start per command would cost a second each. It sits
 * under node_modules so its packages resolve as they do for the real bin.
 */
const COMPILED = 'node_modules/.cache/revocast-cli-test/revocast.mjs';
const NODE_ARGS = [COMPILED];
const READER = 'reader-secret-0123456789';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function revocast(args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...NODE_ARGS, ...args], {
      env: { ...process.env, REVOCAST_URL: undefined, REVOCAST_ADMIN_KEY: undefined, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the revocast CLI against a real service', () => {
  const redisUrl = inject('redisUrl');
  const keyPrefix = uniquePrefix();
  let service: ServiceHandle;
  let verifier: Verifier;
  let env: Record<string, string>;

  beforeAll(async () => {
    mkdirSync('node_modules/.cache/revocast-cli-test', { recursive: true });
    await build({
      entryPoints: [BIN],
      outfile: COMPILED,
      bundle: true,
      packages: 'external',
      platform: 'node',
      format: 'esm',
      target: 'node20',
      logLevel: 'silent',
    });
    service = await startService({
      redisUrl,
      keyPrefix,
      adminKeys: [
        { name: 'tests', secret: ADMIN_SECRET },
        { name: 'reader', secret: READER, scopes: ['read'] },
      ],
    });
    verifier = testVerifier({ redis: redisUrl, keyPrefix, id: 'cli-web-1', heartbeatInterval: 10 });
    await verifier.ready();
    env = { REVOCAST_URL: service.url, REVOCAST_ADMIN_KEY: ADMIN_SECRET };
  });
  afterAll(async () => {
    await verifier.close();
    await service.close();
  });

  it('is the bin of the service package', () => {
    const pkg = JSON.parse(readFileSync('revocation-service/package.json', 'utf8')) as { bin: Record<string, string> };
    expect(pkg.bin.revocast?.replace(/^dist\//, 'revocation-service/src/').replace(/\.js$/, '.ts')).toBe(BIN);
    expect(readFileSync(BIN, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('answers --help on every command with its usage and exit code 0', async () => {
    const commands = [
      [],
      ['revoke'],
      ['revoke', 'token'],
      ['revoke', 'subject'],
      ['revoke', 'session'],
      ['list'],
      ['show'],
      ['reinstate'],
      ['verifiers'],
      ['tail'],
    ];
    const runs = await Promise.all(commands.map((command) => revocast([...command, '--help'])));
    runs.forEach((run, i) => {
      expect(run.code, commands[i]?.join(' ')).toBe(0);
      expect(run.stdout).toMatch(new RegExp(`^Usage: revocast ${commands[i]?.join(' ') ?? ''}`.trimEnd()));
    });
    expect(runs[0]?.stdout).toContain('REVOCAST_ADMIN_KEY');
    expect(runs[0]?.stdout).toContain('Exit codes');
    expect(runs[2]?.stdout).toContain('--exp <time>');
  }, 60_000);

  it('revokes a subject, waits for the verifiers and says how far it got', async () => {
    const run = await revocast(['revoke', 'subject', 'cli-alice', '--reason', 'password changed', '--wait'], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^revoked subject cli-alice \(offset \d+\)\napplied on 1 of 1 verifier in \d+ ms\n$/);
    expect(verifier.isRevoked({ sub: 'cli-alice', iat: 1 })).toBe(true);
  });

  it('prints the API answer with --json, and lists and shows it', async () => {
    const revoked = await revocast(['--json', 'revoke', 'token', 'cli-jti-1', '--exp', '+1h', '--sub', 'cli-alice'], env);
    expect(revoked.code).toBe(0);
    expect(JSON.parse(revoked.stdout)).toMatchObject({ type: 'token', jti: 'cli-jti-1', sub: 'cli-alice', revokedBy: 'tests' });

    const [listed, listedJson, shown] = await Promise.all([
      revocast(['list', '--sub', 'cli-alice'], env),
      revocast(['list', '--sub', 'cli-alice', '--json'], env),
      revocast(['show', 'token', 'cli-jti-1'], env),
    ]);
    expect(listed.stdout.split('\n')[0]).toMatch(/^TYPE\s+ID\s+SUB\s+REVOKED BY/);
    expect(listed.stdout).toMatch(/subject\s+cli-alice/);
    expect(listed.stdout).toMatch(/token\s+cli-jti-1\s+cli-alice\s+tests/);
    expect((JSON.parse(listedJson.stdout) as { items: unknown[] }).items).toHaveLength(2);
    expect(shown.stdout).toMatch(/^type:\s+token\njti:\s+cli-jti-1\n/);
  });

  it('reinstates, and lists the live verifiers with their lag', async () => {
    const reinstated = await revocast(['reinstate', 'subject', 'cli-alice', '--reason', 'false alarm', '--wait', '1s'], env);
    expect(reinstated.code).toBe(0);
    expect(reinstated.stdout).toMatch(/^reinstated subject cli-alice \(offset \d+\)\napplied on 1 of 1 verifier/);
    const verifiers = await revocast(['verifiers'], env);
    expect(verifiers.code).toBe(0);
    expect(verifiers.stdout).toMatch(/^head: offset \d+ of epoch [0-9a-f]+\nID\s+HOST\s+SDK\s+STATE\s+OFFSET\s+LAG/);
    expect(verifiers.stdout).toMatch(/cli-web-1\s+\S+\s+0\.1\.0\s+ready\s+\d+\s+0\s+0/);
  });

  it('exits 7 when the wait ends before every live verifier confirmed the change', async () => {
    const redis = new Redis(redisUrl);
    const keys = redisKeys(keyPrefix);
    const report = {
      id: 'cli-ghost',
      host: 'gone',
      sdkVersion: '0.1.0',
      state: 'ready',
      epoch: null,
      offset: 0,
      streamId: '0-0',
      lastSyncAt: null,
      startedAt: 0,
      reportedAt: Date.now(),
      heartbeatMs: 1000,
    };
    await redis.set(keys.verifier('cli-ghost'), encodeReport(report), 'PX', 30_000);
    await redis.zadd(keys.verifiers, Date.now() + 30_000, 'cli-ghost');
    try {
      const run = await revocast(['revoke', 'session', 'cli-sess', '--wait', '200ms'], env);
      expect(run.code).toBe(7);
      expect(run.stdout).toMatch(/applied on 1 of 2 verifiers in \d+ ms \(timed out; not confirmed: cli-ghost\)/);
    } finally {
      await redis.del(keys.verifier('cli-ghost'));
      redis.disconnect();
    }
  });

  it.concurrent.each([
    ['no admin key', ['list'], { REVOCAST_ADMIN_KEY: '' }, 2, /set REVOCAST_ADMIN_KEY/],
    ['a missing required option', ['revoke', 'token', 'x'], {}, 2, /--exp/],
    ['an unknown type', ['show', 'user', 'x'], {}, 2, /type must be one of/],
    ['a revocation that does not exist', ['show', 'token', 'never-revoked'], {}, 3, /no token revocation/],
    ['a wrong key', ['list'], { REVOCAST_ADMIN_KEY: 'wrong-secret-0123456789' }, 4, /not valid \(ERR_UNAUTHORIZED\)/],
    ['a key without the scope', ['revoke', 'subject', 'x'], { REVOCAST_ADMIN_KEY: READER }, 4, /lacks the "revoke" scope/],
    ['a request the service refuses', ['revoke', 'subject', 'x', '--before', '+1h'], {}, 5, /before: must not be in the future/],
    ['an unreachable service', ['list'], { REVOCAST_URL: 'http://127.0.0.1:9' }, 6, /cannot reach the revocation service/],
  ])('exits with a meaningful code for %s', async (_what, args, extra, code, message) => {
    const run = await revocast(args, { ...env, ...extra });
    expect(run.code).toBe(code);
    expect(run.stderr).toMatch(message);
  });

  it('tails changes live until interrupted', async () => {
    const child = spawn(process.execPath, [...NODE_ARGS, 'tail'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      await waitFor(async () => /revocast_change_streams 1/.test(await (await fetch(`${service.url}/metrics`)).text()), 15_000, 50);
      await service.admin('/v1/revocations', { body: { type: 'subject', sub: 'cli-tailed' } });
      await service.admin('/v1/revocations/subject/cli-tailed', { method: 'DELETE' });
      await waitFor(() => stdout.split('\n').length >= 3, 5000, 10);
      const [first, second] = stdout.split('\n');
      expect(first).toMatch(/^\S+Z {2}offset \d+ {2}revoke subject cli-tailed until \S+Z$/);
      expect(second).toMatch(/^\S+Z {2}offset \d+ {2}reinstate subject cli-tailed$/);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  }, 30_000);

  it('prints its version with --version', async () => {
    const pkg = JSON.parse(readFileSync('revocation-service/package.json', 'utf8')) as { version: string };
    const run = await revocast(['--version']);
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe(pkg.version);
  });

  it('keeps nextCursor in --json list, so a script can page on its own', async () => {
    for (const jti of ['cli-page-1', 'cli-page-2'])
      expect((await revocast(['revoke', 'token', jti, '--exp', '+1h', '--sub', 'cli-pager'], env)).code).toBe(0);
    const first = JSON.parse((await revocast(['--json', 'list', '--sub', 'cli-pager', '--limit', '1'], env)).stdout) as {
      items: Array<{ jti: string }>;
      nextCursor: string | null;
    };
    expect(first.items).toHaveLength(1);
    expect(typeof first.nextCursor).toBe('string');
    const all = JSON.parse((await revocast(['--json', 'list', '--sub', 'cli-pager', '--limit', '1', '--all'], env)).stdout) as {
      items: unknown[];
      nextCursor: string | null;
    };
    expect(all.items).toHaveLength(2);
    expect(all.nextCursor).toBeNull();
  });

  it.each(['/revocast', '/revocast/'])('keeps the path of REVOCAST_URL: works behind a proxy at %s', async (path) => {
    const proxy = await startPrefixProxy(service.url, '/revocast');
    try {
      const through = { ...env, REVOCAST_URL: `${proxy.url}${path}` };
      const revoked = await revocast(['revoke', 'subject', 'cli-proxied'], through);
      expect(revoked.stderr).toBe('');
      expect(revoked.code).toBe(0);
      const shown = await revocast(['show', 'subject', 'cli-proxied'], through);
      expect(shown.code).toBe(0);
      expect(shown.stdout).toMatch(/^type:\s+subject\n/);
    } finally {
      await proxy.close();
    }
  });

  it('tail reconnects when the stream drops and resumes after its last event with Last-Event-ID', async () => {
    const proxy = await startPrefixProxy(service.url, '/revocast');
    const child = spawn(process.execPath, [...NODE_ARGS, 'tail'], {
      env: { ...process.env, ...env, REVOCAST_URL: `${proxy.url}/revocast/` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const lines = (id: string) => stdout.split('\n').filter((line) => line.includes(` ${id} `) || line.endsWith(` ${id}`));
    try {
      // Changes keep coming until tail shows one: then its stream is certainly open.
      let probe = 0;
      await waitFor(
        async () => {
          probe += 1;
          await service.admin('/v1/revocations', { body: { type: 'session', sid: `cli-resume-0-${probe}`, sub: 'cli-resume' } });
          return stdout.includes('cli-resume-0-');
        },
        15_000,
        200,
      );
      proxy.cut();
      // Made while tail cannot reach the service: only a replay can show them.
      for (const sid of ['cli-resume-1', 'cli-resume-2'])
        await service.admin('/v1/revocations', { body: { type: 'session', sid, sub: 'cli-resume' } });
      await waitFor(() => /reconnecting and resuming after [0-9a-f]+:\d+:\d+-\d+/.test(stderr), 10_000, 20);
      // At least one reconnect meets the proxy's 502, as during a real restart.
      await waitFor(() => proxy.refused >= 1, 10_000, 20);
      proxy.resume();
      await waitFor(() => lines('cli-resume-2').length > 0, 20_000, 20);
      expect(lines('cli-resume-1')).toHaveLength(1);
      expect(lines('cli-resume-2')).toHaveLength(1);
      expect(stdout.indexOf('cli-resume-1')).toBeLessThan(stdout.indexOf('cli-resume-2'));
      // And it keeps following live changes on the new connection.
      await service.admin('/v1/revocations', { body: { type: 'session', sid: 'cli-resume-3', sub: 'cli-resume' } });
      await waitFor(() => lines('cli-resume-3').length > 0, 10_000, 20);
      expect(child.exitCode).toBeNull();
    } finally {
      child.kill('SIGINT');
      await proxy.close();
    }
    expect(await exited).toBe(0);
  }, 60_000);
});
