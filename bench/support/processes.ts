import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Starts a TypeScript file of the repository in its own Node process, on the
 * sources (no build). `advanced` IPC carries typed arrays as they are, for
 * children that report many figures at once. `nice` (1 to 19) runs it, every
 * thread of it, at a lower priority; `cpu` keeps it, every thread of it, on
 * that CPU (see {@link serverAndLoadCpus}).
 */
export function spawnTs(
  file: string,
  env: Record<string, string> = {},
  ipc: boolean | 'advanced' = false,
  nice = 0,
  cpu?: number,
): ChildProcess {
  let argv = [process.execPath, '--conditions=revocast-source', '--import', 'tsx', file];
  if (nice > 0) argv = ['nice', '-n', String(nice), ...argv];
  if (cpu !== undefined) argv = ['taskset', '-c', String(cpu), ...argv];
  const [command, ...args] = argv;
  return spawn(command as string, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ipc ? ['ignore', 'pipe', 'inherit', 'ipc'] : ['ignore', 'pipe', 'inherit'],
    ...(ipc === 'advanced' ? { serialization: 'advanced' as const } : {}),
  });
}

/** Resolves with the first stdout line matching `pattern` (its match), or rejects if the process exits first. */
export function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs = 60_000): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString();
      for (const line of buffered.split('\n')) {
        const match = pattern.exec(line);
        if (match !== null) {
          clearTimeout(timer);
          child.stdout?.off('data', onData);
          // Keep reading (and dropping) its output, so a chatty child never blocks on a full pipe.
          child.stdout?.resume();
          resolve(match);
          return;
        }
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`process exited with ${code} before printing ${pattern}`));
    });
  });
}

/** Stops a child started by {@link spawnTs} and waits for it to exit. */
export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/**
 * One CPU for a server under load and one for its load generator, when the
 * machine has at least two and `taskset`; `undefined` otherwise. Left to the
 * scheduler on two cores, the server and autocannon trade places and share
 * both, and a request's cost swings with where each ran: pinned, the server
 * pays for all of its own work (its garbage collector's helper threads
 * included) on a core of its own.
 */
export function serverAndLoadCpus(): { readonly server: number; readonly load: number } | undefined {
  if (availableParallelism() < 2) return undefined;
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  return { server: 0, load: 1 };
}

/** Keeps this process, every thread of it, on `cpu` from now on. */
export function pinThisProcess(cpu: number): void {
  execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(process.pid)], { stdio: 'ignore' });
}
