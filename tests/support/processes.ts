import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { track, untrack } from './leak-check';
import { waitFor } from './wait';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A Jobflow process (or another program) a test started. */
export interface Proc {
  child: ChildProcess;
  output: () => string;
  /** SIGKILL: no cleanup at all, as when a machine dies. */
  kill(): Promise<void>;
  /** SIGTERM and wait for the exit code. */
  stop(): Promise<number | null>;
}

/** A port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const running = new Set<Proc>();

/**
 * Starts `entry` (relative to the repo root) with tsx loaded into the node
 * process itself (not tsx's CLI, which runs a child), so that a signal reaches
 * the program and SIGKILL kills it outright.
 */
export function spawnTs(entry: string, env: Record<string, string>, name = entry): Proc {
  return spawnProcess(process.execPath, ['--import', 'tsx', entry], { cwd: REPO_ROOT, env: { ...process.env, ...env } }, name);
}

/** Starts `command` with exactly `opts.env` as its environment, collecting its output. */
export function spawnProcess(command: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }, name = args.join(' ')): Proc {
  const child = spawn(command, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const isRunning = () => child.exitCode === null && child.signalCode === null;
  const proc: Proc = {
    child,
    output: () => out,
    async kill() {
      if (isRunning()) child.kill('SIGKILL');
      await exited;
      running.delete(proc);
      untrack(proc);
    },
    async stop() {
      if (isRunning()) child.kill('SIGTERM');
      const code = await exited;
      running.delete(proc);
      untrack(proc);
      return code;
    },
  };
  running.add(proc);
  return track(proc, `process ${name}`);
}

/** Waits until `check` holds while something starts (a check that throws meanwhile counts as not yet). */
export async function until(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 90_000): Promise<void> {
  await waitFor(
    () =>
      Promise.resolve()
        .then(check)
        .catch(() => false),
    what,
    { timeoutMs, everyMs: 50 },
  );
}

/** Kills every process started here that is still running (for `afterAll`, whatever the tests left). */
export async function killAll(): Promise<void> {
  await Promise.all([...running].map((p) => p.kill()));
}

/** A server process on `port` (a free one by default), ready when /readyz answers 200 (within `timeoutMs`). */
export async function spawnServer(env: Record<string, string>, port?: number, timeoutMs = 90_000): Promise<Proc & { url: string; port: number }> {
  const p = port ?? (await freePort());
  const proc = spawnTs('server/src/main.ts', { ...env, PORT: String(p), HOST: '127.0.0.1' }, `server :${p}`);
  const url = `http://127.0.0.1:${p}`;
  await waitFor(async () => (await fetch(`${url}/readyz`).catch(() => null))?.ok || proc.child.exitCode !== null, `server on ${url}`, {
    timeoutMs,
  }).catch((e: Error) => Promise.reject(new Error(`${e.message}; its output:\n${proc.output().slice(-3000)}`)));
  if (proc.child.exitCode !== null) throw new Error(`the server on ${url} exited with ${proc.child.exitCode}:\n${proc.output()}`);
  return Object.assign(proc, { url, port: p });
}

/** A worker process, ready when it logs that it started (within `timeoutMs`). */
export async function spawnWorker(env: Record<string, string>, workerId: string, timeoutMs = 90_000): Promise<Proc> {
  const proc = spawnTs('worker/src/main.ts', { ...env, WORKER_ID: workerId, LOG_LEVEL: 'info' }, `worker ${workerId}`);
  await waitFor(() => proc.output().includes('worker started') || proc.child.exitCode !== null, `worker ${workerId} to start`, { timeoutMs });
  if (!proc.output().includes('worker started')) throw new Error(`worker ${workerId} exited before it started:\n${proc.output()}`);
  return proc;
}
