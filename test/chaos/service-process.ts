import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** One replica of the revocation service, as its own process, that chaos may kill. */
export interface ServiceProcess {
  readonly name: string;
  readonly url: string;
  /** True between a successful start and a kill. */
  readonly up: boolean;
  start(): Promise<void>;
  /** kill -9: no shutdown, requests in flight are cut. */
  kill(): Promise<void>;
}

/**
 * Starts `revocation-service/src/main.ts` (through tsx, on the TypeScript
 * sources) with `env`, on a fixed port so clients find it again after a
 * restart. Its output goes to `logFile`.
 */
export function serviceProcess(name: string, port: number, env: Record<string, string>, logFile: string): ServiceProcess {
  let child: ChildProcess | undefined;
  let log: WriteStream | undefined;
  let up = false;
  const url = `http://127.0.0.1:${port}`;

  async function start(): Promise<void> {
    log ??= createWriteStream(logFile, { flags: 'a' });
    const proc = spawn(process.execPath, ['--conditions=revocast-source', '--import', 'tsx', 'revocation-service/src/main.ts'], {
      cwd: ROOT,
      env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    proc.stdout?.pipe(log, { end: false });
    proc.stderr?.pipe(log, { end: false });
    child = proc;
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`${name} exited with ${proc.exitCode} at start (see ${logFile})`);
      try {
        if ((await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(1000) })).ok) break;
      } catch {
        // Not listening yet.
      }
      if (Date.now() > deadline) throw new Error(`${name} did not become ready within 60 s (see ${logFile})`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    up = true;
  }

  async function kill(): Promise<void> {
    up = false;
    const proc = child;
    child = undefined;
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGKILL');
    await exited;
  }

  return {
    name,
    url,
    get up() {
      return up;
    },
    start,
    kill,
  };
}
