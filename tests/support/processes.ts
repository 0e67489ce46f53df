import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { track, untrack } from './leak-check';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface Proc {
  child: ChildProcess;
  output: () => string;
  /** SIGKILL: no cleanup at all, as when a machine dies. */
  kill(): Promise<void>;
  /** SIGTERM and wait for the exit code. */
  stop(): Promise<number | null>;
}

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });

/**
 * Starts `entry` (relative to the repo root) with tsx loaded into the node
 * process itself (not tsx's CLI, which runs a child), so that a signal reaches
 * the program and SIGKILL kills it outright.
 */
export function spawnTs(entry: string, env: Record<string, string>, name = entry): Proc {
  return spawnProcess(process.execPath, ['--import', 'tsx', entry], { cwd: root, env: { ...process.env, ...env } }, name);
}

/** Starts `command` with exactly `opts.env` as its environment, collecting its output. */
export function spawnProcess(command: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }, name = args.join(' ')): Proc {
  const child = spawn(command, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const proc: Proc = {
    child,
    output: () => out,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
      untrack(proc);
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const code = await exited;
      untrack(proc);
      return code;
    },
  };
  return track(proc, `process ${name}`);
}

/** Waits until `check` resolves true (polling a process's readiness, not a product behaviour). */
export async function until(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await Promise.resolve(check()).catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A server process on a free port, ready when /readyz answers 200. */
export async function spawnServer(env: Record<string, string>, port?: number): Promise<Proc & { url: string }> {
  const p = port ?? (await freePort());
  const proc = spawnTs('server/src/main.ts', { ...env, PORT: String(p), HOST: '127.0.0.1' }, `server :${p}`);
  const url = `http://127.0.0.1:${p}`;
  await until(async () => (await fetch(`${url}/readyz`)).ok, `server on ${url}\n${proc.output()}`);
  return Object.assign(proc, { url });
}

/** A worker process, ready when it logs that it started. */
export async function spawnWorker(env: Record<string, string>, workerId: string): Promise<Proc> {
  const proc = spawnTs('worker/src/main.ts', { ...env, WORKER_ID: workerId, LOG_LEVEL: 'info' }, `worker ${workerId}`);
  await until(() => proc.output().includes('worker started'), `worker ${workerId} to start\n${proc.output()}`);
  return proc;
}
