import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrm } from '@jobflow/core/db';
import { EXAMPLE_JWT_SECRETS } from '@jobflow/core/platform';
import { createUsersService } from '@jobflow/server';
import { createTestDatabase, uniquePrefix } from '../support/db';
import { track, untrack } from '../support/leak-check';
import { freePort, spawnTs, until } from '../support/processes';

const root = fileURLToPath(new URL('../..', import.meta.url));
const EXAMPLE_SECRET = EXAMPLE_JWT_SECRETS[0]!;

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let dir: string;
let envFile: string;
let port: number;
let adminId: string;
let env: Record<string, string>;

/** The environment of someone who just cloned the repository: no JWT_SECRET, no HOST, no NODE_ENV. */
function freshShellEnv(extra: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !['JWT_SECRET', 'SECRETS_KEY', 'HOST', 'NODE_ENV', 'PORT'].includes(k)) out[k] = v;
  }
  return { ...out, ...extra };
}

/** `make start` as the README runs it (scripts/start.sh), in its own process group so it stops as a whole. */
async function makeStart(): Promise<{ stop(): Promise<void>; output(): string }> {
  const child: ChildProcess = spawn('bash', ['scripts/start.sh'], { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const handle = {
    output: () => out,
    async stop() {
      if (child.exitCode === null) process.kill(-child.pid!, 'SIGTERM');
      await exited;
      untrack(handle);
    },
  };
  track(handle, 'make start');
  await until(
    async () => {
      if (child.exitCode !== null) throw new Error(`make start exited:\n${out}`);
      return (await fetch(`http://127.0.0.1:${port}/readyz`)).ok;
    },
    `make start to serve on ${port}\n${out}`,
    240_000,
  );
  return handle;
}

const sign = (secret: string, userId: string, generation = 0) =>
  new SignJWT({ gen: generation })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(userId)
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(secret));

const me = (token: string) => fetch(`http://127.0.0.1:${port}/api/auth/me`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);

const secretIn = (file: string) => /^JWT_SECRET=(.+)$/m.exec(readFileSync(file, 'utf8'))?.[1];

/** Addresses the sockets listening on `port` are bound to, read from the kernel's own tables. */
function listeningAddresses(listenPort: number): string[] {
  const found: string[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (!local || state !== '0A') continue;
      const [address, hexPort] = local.split(':');
      if (parseInt(hexPort!, 16) === listenPort) found.push(address!);
    }
  }
  return found;
}

beforeAll(async () => {
  database = await createTestDatabase();
  dir = mkdtempSync(join(tmpdir(), 'jobflow-start-'));
  envFile = join(dir, '.env');
  port = await freePort();
  env = freshShellEnv({
    JOBFLOW_ENV_FILE: envFile,
    DATABASE_URL: database.url,
    REDIS_PREFIX: uniquePrefix(),
    PORT: String(port),
    WORKERS: '1',
    LOG_LEVEL: 'warn',
  });
  const orm = await createOrm({ databaseUrl: database.url, poolMax: 1 });
  try {
    adminId = (await createUsersService(orm).upsertAdmin('root@example.com', 'a long password')).user.id;
  } finally {
    await orm.close(true);
  }
});

afterAll(async () => {
  await database.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('make start without a JWT_SECRET', () => {
  it('generates a random secret into .env (0600), keeps it across restarts, listens on loopback, and refuses tokens signed with the example secret', async () => {
    const first = await makeStart();
    let secret: string | undefined;
    try {
      expect(statSync(envFile).mode & 0o777).toBe(0o600);
      secret = secretIn(envFile);
      expect(secret).toBeDefined();
      expect(Buffer.byteLength(secret!)).toBeGreaterThanOrEqual(32);
      expect(EXAMPLE_JWT_SECRETS).not.toContain(secret);
      expect(readFileSync(envFile, 'utf8')).toMatch(/^SECRETS_KEY=[0-9a-f]{64}$/m);

      const bound = listeningAddresses(port);
      expect(bound.length).toBeGreaterThan(0);
      // 0100007F is 127.0.0.1 in the kernel's byte order; nothing on 0.0.0.0 or ::.
      expect(
        bound.every((a) => a === '0100007F'),
        `bound to ${bound.join(', ')}`,
      ).toBe(true);

      expect(await me(await sign(EXAMPLE_SECRET, adminId))).toBe(401);
      expect(await me(await sign(secret!, adminId))).toBe(200);
    } finally {
      await first.stop();
    }

    const again = await makeStart();
    try {
      expect(secretIn(envFile)).toBe(secret);
      expect(readFileSync(envFile, 'utf8').match(/^JWT_SECRET=/gm)).toHaveLength(1);
      expect(await me(await sign(secret!, adminId))).toBe(200);
      expect(await me(await sign(EXAMPLE_SECRET, adminId))).toBe(401);
    } finally {
      await again.stop();
    }
  }, 480_000); // two whole `make start`s, each up to 240 s on a loaded machine
});

describe('every process refuses a known or short JWT_SECRET, in every mode', () => {
  const cases: [entry: string, secret: string | undefined, nodeEnv: string][] = [
    ['server/src/main.ts', EXAMPLE_SECRET, 'development'],
    ['server/src/main.ts', 'short-but-random-Q3v9', 'production'],
    ['server/src/main.ts', undefined, 'development'],
    ['worker/src/main.ts', EXAMPLE_SECRET, 'production'],
    ['worker/src/main.ts', 'short-but-random-Q3v9', 'development'],
    ['server/src/migrate.ts', EXAMPLE_SECRET, 'test'],
    ['server/src/admin.ts', 'short-but-random-Q3v9', 'development'],
  ];
  it.each(cases)('%s with JWT_SECRET=%s (NODE_ENV=%s) exits with one line saying how to make one', async (entry, secret, nodeEnv) => {
    // Every other setting valid (SECRETS_KEY too), so the one line is about JWT_SECRET.
    const procEnv = freshShellEnv({
      DATABASE_URL: database.url,
      REDIS_PREFIX: uniquePrefix(),
      NODE_ENV: nodeEnv,
      PORT: String(port),
      SECRETS_KEY: randomBytes(32).toString('hex'),
    });
    if (secret !== undefined) procEnv.JWT_SECRET = secret;
    else delete procEnv.JWT_SECRET;
    const proc = spawnTs(entry, procEnv);
    const code = await new Promise<number | null>((resolve) => proc.child.once('exit', resolve));
    await proc.stop();
    expect(code).toBe(1);
    const lines = proc.output().trim().split('\n');
    expect(lines, proc.output()).toHaveLength(1);
    expect(lines[0]).toMatch(/^Invalid configuration: JWT_SECRET .*openssl rand -base64 48/);
  });
});
