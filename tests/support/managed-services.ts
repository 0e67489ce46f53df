import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { isFinalStatus, type JobDto, type RunDto } from '@jobflow/shared';
import { requireCommand, runCommand } from './commands';
import { track, untrack } from './leak-check';
import { REPO_ROOT, freePort, spawnProcess, spawnServer, spawnWorker, until, type Proc } from './processes';
import { waitFor } from './wait';

/**
 * Stand-ins for the managed services operators deploy on, made of Debian's
 * own programs: a PostgreSQL cluster that accepts TLS only, PgBouncer in
 * transaction mode, a Redis that speaks TLS only and wants a password, and
 * the certificates they present, made with openssl.
 */

export interface TestCertificates {
  dir: string;
  /** The CA that signed the servers' certificate. */
  ca: string;
  /** A CA that signed nothing here: trusting it alone must fail. */
  otherCa: string;
  serverCert: string;
  serverKey: string;
  remove(): void;
}

const openssl = async (...args: string[]) => {
  const ran = await runCommand('openssl', args);
  if (ran.code !== 0) throw new Error(`openssl ${args.join(' ')}: ${ran.stderr}`);
};

/** A CA and a server certificate for 127.0.0.1 and localhost, in a folder the `postgres` user can read. */
export async function makeCertificates(): Promise<TestCertificates> {
  requireCommand('openssl', 'openssl');
  const dir = mkdtempSync(join(tmpdir(), 'jobflow-tls-'));
  const at = (name: string) => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  for (const ca of ['ca', 'other-ca']) {
    await openssl('req', '-x509', ...ec, '-keyout', at(`${ca}.key`), '-out', at(`${ca}.crt`), '-days', '2', '-subj', `/CN=Jobflow test ${ca}`);
  }
  await openssl('req', ...ec, '-keyout', at('server.key'), '-out', at('server.csr'), '-subj', '/CN=127.0.0.1');
  writeFileSync(at('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  await openssl(
    'x509',
    '-req',
    '-in',
    at('server.csr'),
    '-CA',
    at('ca.crt'),
    '-CAkey',
    at('ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    at('server.ext'),
    '-out',
    at('server.crt'),
  );
  chmodSync(dir, 0o755);
  chmodSync(at('server.key'), 0o600);
  const postgres = userUid('postgres');
  // PostgreSQL and PgBouncer run as `postgres` and read the key as its owner.
  if (postgres && userInfo().uid === 0) chownSync(at('server.key'), postgres.uid, postgres.gid);
  return {
    dir,
    ca: at('ca.crt'),
    otherCa: at('other-ca.crt'),
    serverCert: at('server.crt'),
    serverKey: at('server.key'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

function userUid(name: string): { uid: number; gid: number } | null {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
  if (!line) return null;
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/** Runs `command`, throwing with its output when it fails. */
async function must(command: string, args: string[], env?: NodeJS.ProcessEnv): Promise<string> {
  const ran = await runCommand(command, args, { env: env ?? process.env, timeoutMs: 60_000 });
  if (ran.code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${ran.code}: ${ran.stdout}${ran.stderr}`);
  return ran.stdout;
}

const PG_VERSION = '15';

export interface TlsPostgres {
  port: number;
  /** A URL of database `name` on this cluster, with `params` (e.g. sslmode) added. */
  url(name: string, params?: Record<string, string>): string;
  stop(): Promise<void>;
}

/**
 * A PostgreSQL cluster of its own (Debian's `pg_createcluster`) on a free
 * port, serving `certs`, whose pg_hba.conf has `hostssl` lines only: every
 * TCP connection must be TLS. Dropped by `stop`.
 */
export async function startTlsPostgres(certs: TestCertificates): Promise<TlsPostgres> {
  requireCommand('pg_createcluster', 'postgresql-common');
  const name = `jftls${randomBytes(4).toString('hex')}`;
  const port = await freePort();
  const handle = track({ name }, `PostgreSQL cluster ${name}`);
  const configDir = `/etc/postgresql/${PG_VERSION}/${name}`;
  const drop = async () => {
    await runCommand('pg_dropcluster', ['--stop', PG_VERSION, name], { timeoutMs: 60_000 });
    // pg_dropcluster leaves the files it did not write itself.
    rmSync(configDir, { recursive: true, force: true });
  };
  try {
    await must('pg_createcluster', [PG_VERSION, name, '-p', String(port), '--start-conf=manual']);
    // Debian turns ssl off when its own snakeoil certificate is missing: the settings go in the cluster's conf.d.
    const settings = {
      listen_addresses: '127.0.0.1,127.0.0.2',
      ssl: 'on',
      ssl_cert_file: certs.serverCert,
      ssl_key_file: certs.serverKey,
      fsync: 'off',
      max_connections: '200',
    };
    writeFileSync(
      `${configDir}/conf.d/jobflow-tls.conf`,
      Object.entries(settings)
        .map(([k, v]) => `${k} = '${v}'\n`)
        .join(''),
    );
    writeFileSync(`${configDir}/pg_hba.conf`, 'local all all trust\nhostssl all all 127.0.0.0/8 trust\n');
    await must('pg_ctlcluster', ['--skip-systemctl-redirect', PG_VERSION, name, 'start']);
  } catch (e) {
    await drop();
    untrack(handle);
    throw e;
  }
  return {
    port,
    url(database, params = {}) {
      const url = new URL(`postgres://postgres@127.0.0.1:${port}/${database}`);
      for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
      return url.toString();
    },
    async stop() {
      await drop();
      untrack(handle);
    },
  };
}

/** A process a test started and stops (PgBouncer, redis-server), started once it listens on `port`. */
async function startListening(command: string, args: string[], port: number, name: string): Promise<Proc> {
  const proc = spawnProcess(command, args, { cwd: REPO_ROOT, env: process.env }, name);
  await until(async () => {
    if (proc.child.exitCode !== null) return true;
    const res = await fetch(`http://127.0.0.1:${port}`).catch((e: Error & { cause?: { code?: string } }) => e.cause?.code);
    return res !== 'ECONNREFUSED';
  }, `${name} to listen`);
  if (proc.child.exitCode !== null) throw new Error(`${name} exited: ${proc.output()}`);
  return proc;
}

/**
 * Debian's PgBouncer in transaction mode on a free port, in front of the
 * local PostgreSQL (127.0.0.1:5432) for the databases named, and no other
 * (no `postgres` entry, as managed poolers often have none).
 */
export async function startPgBouncer(databases: string[], dir: string): Promise<{ port: number; url(name: string): string; stop(): Promise<void> }> {
  requireCommand('pgbouncer', 'pgbouncer');
  const port = await freePort();
  const ini = join(dir, 'pgbouncer.ini');
  writeFileSync(
    ini,
    [
      '[databases]',
      ...databases.map((d) => `${d} = host=127.0.0.1 port=5432 dbname=${d}`),
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      `unix_socket_dir =`,
      'auth_type = trust',
      `auth_file = ${join(dir, 'userlist.txt')}`,
      'pool_mode = transaction',
      'max_client_conn = 500',
      'default_pool_size = 10',
      'ignore_startup_parameters = extra_float_digits,options',
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'userlist.txt'), '"postgres" ""\n');
  // Started as root, PgBouncer runs as `postgres`, which must read its files.
  chmodSync(dir, 0o755);
  const args = userInfo().uid === 0 ? ['-u', 'postgres', ini] : [ini];
  const proc = await startListening('pgbouncer', args, port, `pgbouncer :${port}`);
  return { port, url: (name) => `postgres://postgres@127.0.0.1:${port}/${name}`, stop: async () => void (await proc.stop()) };
}

/**
 * A Redis that speaks TLS only (`--port 0`), with `certs`, a password for the
 * default user and an ACL user `jobflow` with a password of its own.
 */
export async function startTlsRedis(certs: TestCertificates): Promise<{ port: number; password: string; userPassword: string; stop(): Promise<void> }> {
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  const userPassword = randomBytes(12).toString('hex');
  const proc = await startListening(
    'redis-server',
    [
      '--port',
      '0',
      '--tls-port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--tls-cert-file',
      certs.serverCert,
      '--tls-key-file',
      certs.serverKey,
      '--tls-ca-cert-file',
      certs.ca,
      '--tls-auth-clients',
      'no',
      '--requirepass',
      password,
      '--user',
      'jobflow',
      'on',
      `>${userPassword}`,
      '~*',
      '&*',
      '+@all',
      '--save',
      '',
      '--appendonly',
      'no',
    ],
    port,
    `redis-server TLS :${port}`,
  );
  return { port, password, userPassword, stop: async () => void (await proc.stop()) };
}

/** Migrations, the admin command, a server and a worker, each a process of its own on `env`, as an operator runs them. */
export async function startProcesses(env: Record<string, string>): Promise<ProcessStack> {
  const base = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    JWT_SECRET: randomBytes(32).toString('hex'),
    SECRETS_KEY: randomBytes(32).toString('hex'),
    HEALTH_PORT: '0',
    SHUTDOWN_DELAY_MS: '0',
    ...env,
  };
  const migrated = await runTs('server/src/migrate.ts', base);
  if (migrated.code !== 0) throw new Error(`migrations failed: ${migrated.stdout}${migrated.stderr}`);
  const email = `ops-${randomBytes(3).toString('hex')}@example.com`;
  const admin = await runTs('server/src/admin.ts', { ...base, EMAIL: email, PASSWORD: 'a long password' });
  if (admin.code !== 0) throw new Error(`make admin failed: ${admin.stdout}${admin.stderr}`);
  const procs: Proc[] = [];
  try {
    const [server, worker] = await Promise.all([spawnServer(base), spawnWorker(base, `managed-${randomBytes(3).toString('hex')}`)]);
    procs.push(server, worker);
    const request = async <T>(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: T }> => {
      const res = await fetch(server.url + path, {
        method,
        headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: (text && (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text) as T };
    };
    const login = await request<{ token: string }>('POST', '/api/auth/login', { email, password: 'a long password' });
    if (login.status !== 200) throw new Error(`login failed: ${login.status} ${JSON.stringify(login.body)}`);
    const token = login.body.token;
    const api = <T>(method: string, path: string, body?: unknown) => request<T>(method, path, body, token);
    return {
      url: server.url,
      token,
      procs,
      migrateOutput: migrated.stdout,
      api,
      async runToEnd(job) {
        const created = await api<JobDto>('POST', '/api/jobs', { name: `managed ${randomBytes(3).toString('hex')}`, ...job });
        if (created.status !== 201) throw new Error(`POST /api/jobs: ${created.status} ${JSON.stringify(created.body)}`);
        const started = await api<RunDto>('POST', `/api/jobs/${created.body.id}/runs`, {});
        if (started.status !== 201) throw new Error(`POST /api/jobs/:id/runs: ${started.status} ${JSON.stringify(started.body)}`);
        return waitFor(
          async () => {
            const run = (await api<RunDto>('GET', `/api/runs/${started.body.id}`)).body;
            return isFinalStatus(run.status) ? run : null;
          },
          `run ${started.body.id} to end\n${procs.map((p) => p.output()).join('\n')}`,
        );
      },
      async stop() {
        await Promise.all(procs.map((p) => p.stop()));
      },
    };
  } catch (e) {
    await Promise.all(procs.map((p) => p.kill()));
    throw e;
  }
}

export interface ProcessStack {
  url: string;
  token: string;
  procs: Proc[];
  migrateOutput: string;
  api<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  /** Creates a job, starts a run of it and waits for the run's final state. */
  runToEnd(job: { type: string; params: Record<string, unknown> }): Promise<RunDto>;
  stop(): Promise<void>;
}

/** Runs a TypeScript entry point of the repository to its end, with `env` over this process's environment. */
export const runTs = (entry: string, env: Record<string, string>) =>
  runCommand(process.execPath, ['--import', 'tsx', entry], { cwd: REPO_ROOT, env: { ...process.env, ...env }, timeoutMs: 90_000 });
