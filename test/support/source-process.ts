import { spawn, type ChildProcess } from 'node:child_process';

/** A workspace entry point running from source in its own process. */
export interface SourceProcess {
  readonly child: ChildProcess;
  /** Everything it wrote so far, stdout and stderr. */
  output(): string;
  /** SIGTERM, then SIGKILL if it has not exited within two seconds. */
  stop(): Promise<void>;
}

/**
 * Starts `node --conditions=revocast-source --import tsx <entry>` (as the
 * README's commands do, minus the build) and resolves once its output
 * matches `ready`. Rejects with the output if it exits or takes too long.
 */
export async function startSourceProcess(entry: string, env: NodeJS.ProcessEnv, ready: RegExp, timeoutMs = 20_000): Promise<SourceProcess> {
  const child = spawn(process.execPath, ['--conditions=revocast-source', '--import', 'tsx', entry], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const handle: SourceProcess = {
    child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(timer);
    },
  };
  const deadline = Date.now() + timeoutMs;
  while (!ready.test(output)) {
    if (Date.now() > deadline || child.exitCode !== null) {
      await handle.stop();
      throw new Error(`${entry} did not start:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return handle;
}
