import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../client/processes';

/** Debian's python, with python3-socketio and python3-websocket. */
export const PYTHON = '/usr/bin/python3';

/** Fails with the fix when the Python modules the examples need are missing. */
export function checkPython(): void {
  try {
    execFileSync(PYTHON, ['-c', 'import socketio, websocket']);
  } catch {
    throw new Error(`${PYTHON} lacks socketio or websocket: apt-get install python3-socketio python3-websocket`);
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
