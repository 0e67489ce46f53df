import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { TestContext } from 'vitest';
import { REPO_ROOT } from '../client/processes';

/** Debian's python, with python3-socketio and python3-websocket. */
export const PYTHON = '/usr/bin/python3';

/**
 * Makes sure Debian's python has the modules the examples need. In CI
 * (.ci/run installs them) their absence fails the test; elsewhere the test is
 * skipped with the packages to install.
 */
export function requirePython(ctx: TestContext): void {
  try {
    execFileSync(PYTHON, ['-c', 'import socketio, websocket'], { stdio: 'ignore' });
  } catch {
    const message = `${PYTHON} lacks socketio or websocket: apt-get install python3-socketio python3-websocket`;
    if (process.env.CI) throw new Error(message);
    ctx.skip(message);
  }
}

const running = new Set<ChildProcess>();

/** A Python example started with the given environment (and nothing else), its output collected. */
export function runPython(script: string, args: string[], env: Record<string, string>) {
  const child = spawn(PYTHON, [join(REPO_ROOT, 'examples/python', script), ...args], {
    env: { PATH: '/usr/bin:/bin', PYTHONDONTWRITEBYTECODE: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('close', (code, signal) => {
      running.delete(child);
      resolve(code ?? (signal ? -1 : null));
    }),
  );
  const until = async (check: () => boolean, what: string) => {
    const deadline = Date.now() + 60_000;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\nstdout:\n${stdout.slice(-2000)}\nstderr:\n${stderr.slice(-2000)}`);
      if (child.exitCode !== null)
        throw new Error(`${script} exited with ${child.exitCode} before ${what}\nstdout:\n${stdout.slice(-2000)}\nstderr:\n${stderr.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return {
    child,
    exited,
    output: () => ({ stdout, stderr }),
    until,
    /** The run the script started, from its first note. */
    runId: async () => {
      await until(() => /run [0-9a-f-]{36} of/.test(stderr), 'the run to start');
      return /run ([0-9a-f-]{36}) of/.exec(stderr)![1]!;
    },
  };
}

/** Kills every example still running (for afterAll). */
export function killPythonProcesses(): void {
  for (const child of running) child.kill('SIGKILL');
}
