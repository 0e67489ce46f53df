import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { PgCounts } from './pg-count';
import type { ProcessStats } from './probe';

const HOST = fileURLToPath(new URL('../hosts/host.ts', import.meta.url));

/** A process the bench started, driven over IPC. */
export interface Host<Info = any> {
  name: string;
  pid: number;
  info: Info;
  call<T = any>(cmd: string, args?: unknown): Promise<T>;
  /** Closes the role, then the process; kills it if it does not exit in time. */
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();

/** Every stopped host's PostgreSQL counts since it started (for the pg_stat_database cross-check). */
export const stoppedHostsPg: PgCounts = { statements: 0, commits: 0, writeCommits: 0, rollbacks: 0 };
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

/** Starts `bench/hosts/<role>.host.ts` in its own Node process (through tsx) and waits until it is up. */
export async function startHost<Info = any>(name: string, role: string, args: unknown, env: Record<string, string> = {}): Promise<Host<Info>> {
  const child = fork(HOST, [role, JSON.stringify(args)], {
    // BENCH_CPU_PROF=<dir> writes a V8 CPU profile of every host process there (for profiling, not for figures).
    execArgv: [
      '--import',
      'tsx',
      '--expose-gc',
      '--max-old-space-size=4096',
      ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []),
    ],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  live.add(child);
  let nextId = 1;
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  const ready = new Promise<Info>((resolve, reject) => {
    child.on('message', (m: any) => {
      if (m.ready) return resolve(m.info as Info);
      if (m.fatal) return reject(new Error(`${name} failed to start: ${m.fatal}`));
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      if (m.ok) p.resolve(m.value);
      else p.reject(new Error(`${name}: ${m.error}`));
    });
    child.once('exit', (code) => {
      live.delete(child);
      const e = new Error(`${name} exited (code ${code})`);
      reject(e);
      for (const p of pending.values()) p.reject(e);
      pending.clear();
    });
  });
  const info = await ready;
  const call = <T>(cmd: string, args?: unknown) =>
    new Promise<T>((resolve, reject) => {
      if (!child.connected) return reject(new Error(`${name} is not running`));
      const id = nextId++;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ id, cmd, args });
    });
  return {
    name,
    pid: child.pid!,
    info,
    call,
    async stop() {
      if (child.exitCode !== null) return;
      const total = await call<PgCounts>('pg:total').catch(() => null);
      if (total) for (const k of Object.keys(stoppedHostsPg) as (keyof PgCounts)[]) stoppedHostsPg[k] += total[k];
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      call('close').catch(() => {});
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Awaits processes started at once; if any failed to start, stops the others and throws its error. */
export async function startAll<T extends unknown[]>(starts: { [K in keyof T]: Promise<T[K] & { stop(): Promise<void> }> }): Promise<T> {
  const settled = await Promise.allSettled(starts);
  const failed = settled.find((s) => s.status === 'rejected');
  if (!failed) return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as T;
  for (const s of settled) if (s.status === 'fulfilled') await (s.value as { stop(): Promise<void> }).stop().catch(() => {});
  throw failed.reason;
}

export interface ProbeReading {
  stats: ProcessStats;
  pg: PgCounts;
}

/** Marks the start of a measured window in every host. */
export const markAll = (hosts: Host[]) => Promise.all(hosts.map((h) => h.call('probe:mark')));

/** Reads every host's figures for the window since its mark, by name. */
export async function readAll(hosts: Host[]): Promise<Record<string, ProbeReading>> {
  const out: Record<string, ProbeReading> = {};
  for (const h of hosts) out[h.name] = await h.call<ProbeReading>('probe:read');
  return out;
}
