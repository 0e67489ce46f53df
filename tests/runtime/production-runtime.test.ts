import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunDto } from '@jobflow/shared';
import { adminQuery, databaseUrl, uniquePrefix } from '../support/db';
import { runCommand } from '../support/commands';
import { valueOf } from '../support/metrics';
import { freePort, spawnProcess, until, type Proc } from '../support/processes';

/**
 * Production as it ships: the compiled entry points and the built UI in a
 * folder of their own with production dependencies only (`npm ci --omit=dev`),
 * no TypeScript and no tsx, run by this machine's Node.js and by Node.js 24
 * LTS (from the npm registry). One build and one install serve both.
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
const BUILT = ['server/dist', 'worker/dist', 'ui/dist'];
/** Tools of the build and the tests, none of which production may need. */
const DEV_ONLY = ['tsx', 'typescript', 'esbuild', 'vite', 'vitest', 'eslint', 'prettier', 'playwright-core', 'pino-pretty', 'smtp-server'];

let dir: string;
let node24: string;

beforeAll(async () => {
  const built = await runCommand('bash', ['scripts/build.sh'], { cwd: root });
  expect(built.code, built.stdout + built.stderr).toBe(0);
  dir = mkdtempSync(join(tmpdir(), 'jobflow-production-'));
  const { workspaces } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { workspaces: string[] };
  for (const path of ['package.json', 'package-lock.json', ...workspaces.map((w) => `${w}/package.json`), ...BUILT]) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    cpSync(join(root, path), join(dir, path), { recursive: true });
  }
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, npm_config_cache: process.env.npm_config_cache };
  const [installed, node] = await Promise.all([
    runCommand('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], { cwd: dir, env, timeoutMs: 540_000 }),
    runCommand('bash', ['scripts/node24.sh'], { cwd: root, timeoutMs: 300_000 }),
  ]);
  expect(installed.code, installed.stderr).toBe(0);
  expect(node.code, node.stderr).toBe(0);
  node24 = node.stdout.trim();
}, 600_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the production runtime', { timeout: 240_000 }, () => {
  it('holds production dependencies only: no TypeScript, no tsx, no build or test tool', () => {
    expect(DEV_ONLY.filter((name) => existsSync(join(dir, 'node_modules', name)))).toEqual([]);
    expect(existsSync(join(dir, 'node_modules/.bin/tsx'))).toBe(false);
    for (const entry of ['server/dist/main.js', 'worker/dist/main.js', 'server/dist/migrate.js', 'server/dist/admin.js', 'ui/dist/index.html']) {
      expect(existsSync(join(dir, entry)), entry).toBe(true);
    }
  });

  for (const [label, nodePath, major] of [
    ["this machine's Node.js", () => process.execPath, process.versions.node.split('.')[0]!],
    ['Node.js 24 LTS', () => node24, '24'],
  ] as const) {
    it(`on ${label}: migrates, creates an admin, serves the UI and the API, and runs a job end to end`, async () => {
      const node = nodePath();
      const version = (await runCommand(node, ['--version'])).stdout.trim();
      expect(version).toMatch(new RegExp(`^v${major}\\.`));
      const name = `jobflow_test_prod_${randomBytes(4).toString('hex')}`;
      const secrets = {
        JWT_SECRET: randomBytes(32).toString('hex'),
        SECRETS_KEY: randomBytes(32).toString('hex'),
        METRICS_TOKEN: randomBytes(16).toString('hex'),
      };
      // Only what an operator sets: no NODE_OPTIONS, no loader, nothing from this test run.
      const base = { PATH: process.env.PATH, NODE_ENV: 'production', REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', ...secrets };
      const run = (entry: string, env: Record<string, string | undefined>) => runCommand(node, [entry], { cwd: dir, env: { ...base, ...env } });
      try {
        // Migrations through MIGRATE_DATABASE_URL (it creates the database); DATABASE_URL is left alone.
        const migrated = await run('server/dist/migrate.js', { DATABASE_URL: databaseUrl(`${name}_pooled`), MIGRATE_DATABASE_URL: databaseUrl(name) });
        expect(migrated.code, migrated.stdout + migrated.stderr).toBe(0);
        expect(migrated.stdout).toContain(`Created database ${name}.`);
        expect(await databasesNamed(`${name}%`)).toEqual([name]);

        const admin = await run('server/dist/admin.js', {
          DATABASE_URL: databaseUrl(name),
          EMAIL: 'ops@example.com',
          PASSWORD: 'a long password',
          NAME: 'Ops',
        });
        expect(admin.code, admin.stdout + admin.stderr).toBe(0);
        expect(admin.stdout).toMatch(/^Created admin ops@example\.com/);

        const [port, healthPort] = [await freePort(), await freePort()];
        const env = { ...base, DATABASE_URL: databaseUrl(name), REDIS_PREFIX: uniquePrefix(), HOST: '127.0.0.1' };
        const server = spawnProcess(
          node,
          ['server/dist/main.js'],
          { cwd: dir, env: { ...env, PORT: String(port), SHUTDOWN_DELAY_MS: '0' } },
          `server on ${label}`,
        );
        const worker = spawnProcess(
          node,
          ['worker/dist/main.js'],
          { cwd: dir, env: { ...env, HEALTH_PORT: String(healthPort), SHUTDOWN_GRACE_MS: '2000' } },
          `worker on ${label}`,
        );
        const url = `http://127.0.0.1:${port}`;
        const health = `http://127.0.0.1:${healthPort}`;
        try {
          await readyOrExited(server, `${url}/readyz`);
          await readyOrExited(worker, `${health}/readyz`);

          const page = await fetch(url);
          expect(page.headers.get('content-type')).toMatch(/^text\/html/);
          expect(await page.text()).toMatch(/<script[^>]+src="\/assets\//);

          const login = await fetch(`${url}/api/auth/login`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ email: 'ops@example.com', password: 'a long password' }),
          });
          expect(login.status).toBe(200);
          const auth = { authorization: `Bearer ${((await login.json()) as { token: string }).token}`, 'content-type': 'application/json' };
          const job = await fetch(`${url}/api/jobs`, {
            method: 'POST',
            headers: auth,
            body: JSON.stringify({ name: 'hello', type: 'shell', params: { script: 'echo "hello from $JOBFLOW_RUN_ID"' } }),
          });
          expect(job.status).toBe(201);
          const { id: jobId } = (await job.json()) as { id: string };
          const started = (await (await fetch(`${url}/api/jobs/${jobId}/runs`, { method: 'POST', headers: auth, body: '{}' })).json()) as RunDto;
          let run = started;
          await until(async () => {
            run = (await (await fetch(`${url}/api/runs/${started.id}`, { headers: auth })).json()) as RunDto;
            return ['succeeded', 'failed', 'cancelled'].includes(run.status);
          }, `the run to finish\n${worker.output()}`);
          expect(run).toMatchObject({ status: 'succeeded', result: { exitCode: 0 } });
          expect(await (await fetch(`${url}/api/runs/${started.id}/logs.txt`, { headers: auth })).text()).toContain(`hello from ${started.id}`);

          // Both processes really run on this Node.js, and say so on /metrics.
          for (const target of [url, health]) {
            const text = await (await fetch(`${target}/metrics`, { headers: { authorization: `Bearer ${secrets.METRICS_TOKEN}` } })).text();
            expect(valueOf(text, 'nodejs_version_info', { version }), target).toBe(1);
          }
        } finally {
          const [workerExit, serverExit] = [await worker.stop(), await server.stop()];
          expect(workerExit, worker.output()).toBe(0);
          expect(serverExit, server.output()).toBe(0);
        }
        const output = server.output() + worker.output();
        expect(output).not.toMatch(/Cannot find (module|package)|ERR_MODULE_NOT_FOUND|ERR_UNKNOWN_FILE_EXTENSION/);
        // Production logs are JSON, one object per line.
        const notJson = output.split('\n').filter((line) => line && !isJsonObject(line));
        expect(notJson).toEqual([]);
      } finally {
        await adminQuery(`drop database if exists ${name} with (force)`);
        await adminQuery(`drop database if exists ${name}_pooled with (force)`);
      }
    });
  }
});

/** Waits for `url` to answer 2xx; fails at once, with its output, if the process exits first. */
async function readyOrExited(proc: Proc, url: string): Promise<void> {
  await until(async () => proc.child.exitCode !== null || (await fetch(url)).ok, `${url} to answer`, 120_000);
  expect(proc.child.exitCode, `the process exited:\n${proc.output()}`).toBeNull();
}

function isJsonObject(line: string): boolean {
  try {
    return typeof JSON.parse(line) === 'object';
  } catch {
    return false;
  }
}

async function databasesNamed(pattern: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: databaseUrl('postgres') });
  await client.connect();
  try {
    return (await client.query<{ datname: string }>('select datname from pg_database where datname like $1 order by 1', [pattern])).rows.map((r) => r.datname);
  } finally {
    await client.end();
  }
}
