import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Starts a TypeScript file of the repository in its own Node process, on the
 * sources (no build). `advanced` IPC carries typed arrays as they are, for
 * children that report many figures at once. `nice` (1 to 19) runs it, every
 * thread of it, at a lower priority.
 */
export function spawnTs(file: string, env: Record<string, string> = {}, ipc: boolean | 'advanced' = false, nice = 0): ChildProcess {
  const node = [process.execPath, '--conditions=revocast-source', '--import', 'tsx', file];
  const [command, ...args] = nice > 0 ? ['nice', '-n', String(nice), ...node] : node;
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
