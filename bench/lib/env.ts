import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createOrm, migrate } from '@jobflow/core/db';
import { createHttpClient, field, type HttpClient } from './http';
import { startHost, markAll, readAll, type Host, type ProbeReading } from './proc';
import { createProbe } from './probe';
import { diffPgCounts, readPgCounts, type PgCounts } from './pg-count';

export interface BenchEnv {
  isQuick: boolean;
  /** Measured repeats per benchmark (after a warm-up): 5 in full mode, 1 in quick mode, unless `--repeats` says otherwise. */
  repeats: number;
  dbName: string;
  databaseUrl: string;
  redisUrl: string;
  /** A small pool on the bench database for fixtures and verification. */
  db: pg.Pool;
  log(line: string): void;
  /** A Redis key prefix of its own for each stack (Jobflow or raw). */
  newPrefix(tag: string): string;
  /** The driver process (load generator and subscribers) measured like the others. */
  driver: ReturnType<typeof createProbe>;
  /**
   * Quick mode keeps one Jobflow stack and one of each raw peer process for
   * the whole run (started when first needed, stopped by `stopShared`); full
   * mode starts fresh processes for every benchmark.
   */
  shared: Map<string, Promise<{ stop(): Promise<void> }>> | null;
}

/** `start()`, or in quick mode the process(es) `key` started earlier; the caller's `stop()` then leaves them running. */
export async function reuse<T extends { stop(): Promise<void> }>(env: BenchEnv, key: string, start: () => Promise<T>): Promise<T> {
  if (!env.shared) return start();
  let started = env.shared.get(key) as Promise<T> | undefined;
  if (!started) {
    started = start();
    env.shared.set(key, started);
  }
  return { ...(await started), stop: async () => {} };
}

/** Stops what quick mode kept running. */
export async function stopShared(env: BenchEnv): Promise<void> {
  for (const started of env.shared?.values() ?? []) await (await started.catch(() => null))?.stop();
  env.shared?.clear();
}

/** A raw peer process (`bench/hosts/<role>.host.ts`), shared across benchmarks in quick mode. */
export const rawHost = <Info = unknown>(env: BenchEnv, role: string, args: unknown): Promise<Host<Info>> =>
  reuse(env, role, () => startHost<Info>(role, role, args));

const ADMIN_URL = process.env.BENCH_DATABASE_ADMIN_URL ?? process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const urlOf = (name: string) => {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
};

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Creates and migrates `jobflow_bench_<random>`; `drop()` removes it. */
export async function createBenchDatabase(): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = `jobflow_bench_${randomBytes(4).toString('hex')}`;
  await admin(`create database ${name}`);
  const orm = await createOrm({ databaseUrl: urlOf(name), poolMax: 1 });
  try {
    await migrate(orm);
  } finally {
    await orm.close(true);
  }
  return { name, url: urlOf(name), drop: () => admin(`drop database if exists ${name} with (force)`) };
}

/** `xact_commit` of the bench database (pg_stat_database; see pg-count.ts about its flush delay). */
export async function xactCommit(env: BenchEnv): Promise<number> {
  const { rows } = await env.db.query(`select xact_commit::bigint as n from pg_stat_database where datname = $1`, [env.dbName]);
  return Number(rows[0].n);
}

export interface JobflowStack {
  url: string;
  prefix: string;
  token: string;
  /** The admin the bench signs in as (its bearer token is `token`). */
  admin: { email: string; password: string };
  server: Host;
  workers: Host[];
  hosts: Host[];
  http: HttpClient;
  /** Creates a job and returns its id. */
  createJob(body: Record<string, unknown>): Promise<string>;
  stop(): Promise<void>;
}

type JobflowOptions = { workers?: number; concurrency?: number; connections?: number; serverEnv?: Record<string, string> };

/**
 * A Jobflow stack for a benchmark; in quick mode one stack (one worker at
 * concurrency 50) serves every benchmark but the sockets one.
 */
export const jobflowFor = (env: BenchEnv, opts: JobflowOptions = {}): Promise<JobflowStack> =>
  env.shared ? reuse(env, 'jobflow', () => startJobflow(env, { workers: 1, concurrency: 50, connections: 64 })) : startJobflow(env, opts);

/**
 * The benchmarks stand in for thousands of clients with one user's session:
 * the per-user socket cap (a defence against one account hogging a server)
 * would refuse them, so it is lifted for the measured server.
 */
const BENCH_SERVER_ENV = { USER_MAX_SOCKETS: '1000000' };

/** A Jobflow server and `workers` worker processes on the bench database, with their own Redis prefix. */
export async function startJobflow(env: BenchEnv, opts: JobflowOptions = {}): Promise<JobflowStack> {
  const prefix = env.newPrefix('jf');
  const common = {
    NODE_ENV: 'production',
    DATABASE_URL: env.databaseUrl,
    REDIS_URL: env.redisUrl,
    REDIS_PREFIX: prefix,
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'error',
    JWT_SECRET: randomBytes(24).toString('hex'),
    SECRETS_KEY: randomBytes(32).toString('hex'),
  };
  const adminUser = { email: `bench-${prefix}@example.com`, password: randomBytes(12).toString('hex') };
  const [server, ...workers] = await Promise.all([
    startHost<{ url: string }>('jobflow-server', 'jobflow-server', { env: { ...common, ...BENCH_SERVER_ENV, ...opts.serverEnv }, admin: adminUser }),
    ...Array.from({ length: opts.workers ?? 1 }, (_, i) =>
      startHost(`jobflow-worker${opts.workers && opts.workers > 1 ? i + 1 : ''}`, 'jobflow-worker', {
        env: { ...common, WORKER_CONCURRENCY: String(opts.concurrency ?? 10) },
      }),
    ),
  ]);
  const http = createHttpClient(server.info.url, opts.connections ?? 64);
  const login = await http.request('POST', '/api/auth/login', { body: adminUser });
  if (login.status !== 200) throw new Error(`login failed: ${login.status} ${login.text}`);
  const token = String(field(login.body, 'token'));
  return {
    url: server.info.url,
    prefix,
    token,
    admin: adminUser,
    server,
    workers,
    hosts: [server, ...workers],
    http,
    async createJob(body) {
      const res = await http.request('POST', '/api/jobs', { token, body: { maxAttempts: 1, ...body } });
      if (res.status !== 201) throw new Error(`creating a job failed: ${res.status} ${res.text}`);
      return String(field(res.body, 'id'));
    },
    async stop() {
      http.close();
      for (const w of workers) await w.stop();
      await server.stop();
    },
  };
}

/**
 * Measures one side's window: marks the driver and `hosts`, runs `body`,
 * reads everyone's CPU, event-loop delay, RSS and PostgreSQL counts.
 */
export async function measured<T>(
  env: BenchEnv,
  hosts: Host[],
  body: () => Promise<T>,
): Promise<{ value: T; procs: Record<string, ProbeReading>; pg: PgCounts }> {
  await markAll(hosts);
  env.driver.mark();
  const driverPg = readPgCounts();
  const value = await body();
  const procs = await readAll(hosts);
  procs.driver = { stats: env.driver.read(), pg: diffPgCounts(driverPg, readPgCounts()) };
  const pgSum: PgCounts = { statements: 0, commits: 0, writeCommits: 0, rollbacks: 0 };
  for (const h of hosts) {
    const c = procs[h.name]!.pg;
    pgSum.statements += c.statements;
    pgSum.commits += c.commits;
    pgSum.writeCommits += c.writeCommits;
    pgSum.rollbacks += c.rollbacks;
  }
  return { value, procs, pg: pgSum };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
