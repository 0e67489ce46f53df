import { fileURLToPath } from 'node:url';
import { io, type Socket } from 'socket.io-client';
import type { z } from 'zod';
import { ErrorBody, type ClientToServerEvents, type JobBody, type JobDto, type RunDto, type ServerToClientEvents, type StartRunBody } from '@jobflow/shared';
import { createApp, createUsersService, loadServerConfig, type App, type ServerConfig } from '@jobflow/server';
import { createWorker, loadWorkerConfig, type Worker, type WorkerConfig } from '@jobflow/worker';
import { createTestDatabase, uniquePrefix } from './db';
import { removeRedisKeys } from './redis';
import { openSql, type TestSql } from './sql';
import { track, untrack } from './leak-check';

export type LiveSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface TestUser {
  id: string;
  email: string;
  password: string;
  token: string;
}

/** An HTTP answer: its status, its parsed body (JSON, else text) and its headers. */
export interface Reply<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

/** A job as a test creates it: the body of `POST /api/jobs`, named for it when no name is given. */
export type NewJob = Omit<z.input<typeof JobBody>, 'name'> & { name?: string };

export interface Stack {
  baseUrl: string;
  databaseUrl: string;
  redisPrefix: string;
  app: App;
  workers: Worker[];
  admin: TestUser;
  /** Ad-hoc SQL on the stack's database (`$1, $2, ...`), for what no API shows. */
  sql: TestSql;
  createUser(role?: 'admin' | 'user'): Promise<TestUser>;
  /**
   * A JSON request; returns status and parsed body (text for non-JSON).
   * `T` is what the test expects the body to be; the test's assertions check it.
   */
  request<T = unknown>(
    method: string,
    path: string,
    opts?: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> },
  ): Promise<Reply<T>>;
  /** `POST /api/jobs` (as the admin unless `token` is given); throws unless it answers 201. */
  createJob(job: NewJob, token?: string): Promise<JobDto>;
  /** `POST /api/jobs/:id/runs` (as the admin unless `token` is given); throws unless it answers 201. */
  startRun(jobId: string, body?: StartRunBody, token?: string): Promise<RunDto>;
  /** `GET /api/runs/:id` as the admin. */
  getRun(runId: string): Promise<RunDto>;
  /** A connected Socket.IO client, closed with the stack. */
  connect(token: string, opts?: { autoConnect?: boolean }): LiveSocket;
  /** Starts another in-process worker. */
  addWorker(overrides?: Partial<WorkerConfig>): Promise<Worker>;
  /** Server + worker settings, for processes a test starts itself. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

export interface StackOptions {
  /** In-process workers to start (default 1). */
  workers?: number;
  server?: Partial<ServerConfig>;
  worker?: Partial<WorkerConfig>;
  /** Another Redis than the shared test one (fault tests that restart it). */
  redisUrl?: string;
  /** Serve the built UI (default: ui/dist). */
  uiDist?: string;
  /** More environment for the server and its workers (e.g. the artifact store's settings). */
  env?: Record<string, string>;
}

/**
 * Worker settings that open loopback to outbound requests (closed by default),
 * for tests whose HTTP servers, webhook and Slack receivers listen on 127.0.0.1.
 */
export const LOOPBACK_OPEN: Partial<WorkerConfig> = { egressAllowCidrs: ['127.0.0.0/8'] };

/** The key tests seal secrets with (a fixed one, so a test can open what it finds in the database). */
export const TEST_SECRETS_KEY = '6a6f62666c6f772d746573742d7365637265742d6b65792d30303030303030ff';

let userCounter = 0;
let jobCounter = 0;

/** The error an API answer carries (`details` empty when it has none); throws, naming the answer, when it is not an error body. */
export function errorOf(reply: Reply): Required<ErrorBody['error']> {
  const parsed = ErrorBody.safeParse(reply.body);
  if (!parsed.success) throw new Error(`expected an error body, got ${reply.status} ${JSON.stringify(reply.body)}`);
  return { ...parsed.data.error, details: parsed.data.error.details ?? [] };
}

/** A real server (and workers) on a fresh database and Redis prefix, on a free port. */
export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const database = await createTestDatabase();
  const redisPrefix = uniquePrefix();
  const env: Record<string, string> = {
    DATABASE_URL: database.url,
    REDIS_URL: opts.redisUrl ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    REDIS_PREFIX: redisPrefix,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error',
    NODE_ENV: 'test',
    JWT_SECRET: 'test-secret-of-at-least-16-chars',
    SECRETS_KEY: TEST_SECRETS_KEY,
    RETRY_BASE_MS: '200',
    RETRY_CAP_MS: '1000',
    STALL_INTERVAL_MS: '1000',
    HEARTBEAT_MS: '500',
    SHUTDOWN_GRACE_MS: '2000',
    RECONCILE_INTERVAL_MS: '1000',
    RECONCILE_QUEUED_GRACE_MS: '2000',
    SWEEP_LEASE_MS: '3000',
    // Worker processes a test starts serve no health port unless it asks for one.
    HEALTH_PORT: '0',
    ...opts.env,
  };
  const config = loadServerConfig(env, {
    port: 0,
    host: '127.0.0.1',
    uiDist: opts.uiDist ?? fileURLToPath(new URL('../../ui/dist', import.meta.url)),
    ...opts.server,
  });
  const app = await createApp(config);
  const workers: Worker[] = [];
  const addWorker = async (overrides: Partial<WorkerConfig> = {}) => {
    const w = await createWorker(loadWorkerConfig(env, { ...opts.worker, ...overrides }));
    workers.push(w);
    return w;
  };
  for (let i = 0; i < (opts.workers ?? 1); i++) await addWorker();
  const sockets = new Set<LiveSocket>();
  const sql = openSql(database.url);

  const request = async <T>(method: string, path: string, o: Parameters<Stack['request']>[2] = {}): Promise<Reply<T>> => {
    const headers: Record<string, string> = { ...o.headers };
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    let body: string | undefined = o.raw;
    if (o.body !== undefined) {
      body = JSON.stringify(o.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(app.url + path, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    if ((res.headers.get('content-type') ?? '').includes('json') && text) parsed = JSON.parse(text);
    return { status: res.status, body: parsed as T, headers: res.headers };
  };

  /** A request that must answer `status`, with the body it then carries. */
  const expect = async <T>(status: number, method: string, path: string, opts: Parameters<Stack['request']>[2]): Promise<T> => {
    const res = await request<T>(method, path, opts);
    if (res.status !== status) throw new Error(`${method} ${path}: expected ${status}, got ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };

  const login = async (email: string, password: string) => {
    const res = await request<{ token: string }>('POST', '/api/auth/login', { body: { email, password } });
    if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.token;
  };

  const users = createUsersService(app.deps.orm);
  const adminEmail = `admin${++userCounter}@example.com`;
  const { user: adminUser } = await users.upsertAdmin(adminEmail, 'admin-password', 'Admin');
  const admin: TestUser = { id: adminUser.id, email: adminEmail, password: 'admin-password', token: await login(adminEmail, 'admin-password') };

  const stack: Stack = {
    baseUrl: app.url,
    databaseUrl: database.url,
    redisPrefix,
    app,
    workers,
    admin,
    sql,
    env,
    request,
    createJob: (job, token = admin.token) => expect<JobDto>(201, 'POST', '/api/jobs', { token, body: { name: `job ${++jobCounter}`, ...job } }),
    startRun: (jobId, body = {}, token = admin.token) => expect<RunDto>(201, 'POST', `/api/jobs/${jobId}/runs`, { token, body }),
    getRun: (runId) => expect<RunDto>(200, 'GET', `/api/runs/${runId}`, { token: admin.token }),
    addWorker,
    async createUser(role = 'user') {
      const email = `user${++userCounter}-${redisPrefix}@example.com`;
      const password = 'user-password';
      const { id } = await expect<{ id: string }>(201, 'POST', '/api/users', {
        token: admin.token,
        body: { email, password, role, name: `User ${userCounter}` },
      });
      return { id, email, password, token: await login(email, password) };
    },
    connect(token, o = {}) {
      const socket: LiveSocket = io(app.url, {
        auth: { token },
        transports: ['websocket'],
        reconnection: true,
        autoConnect: o.autoConnect ?? true,
        forceNew: true,
      });
      sockets.add(socket);
      return socket;
    },
    async stop() {
      for (const s of sockets) s.disconnect();
      await Promise.all(workers.map((w) => w.close()));
      await app.close();
      await sql.close();
      await database.drop();
      await removeRedisKeys(env.REDIS_URL!, redisPrefix);
      untrack(stack);
    },
  };
  return track(stack, `stack at ${app.url}`);
}
