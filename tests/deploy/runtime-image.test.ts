import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminQuery, createTestDatabase, databaseUrl, uniquePrefix } from '../support/db';
import { track, untrack } from '../support/leak-check';
import { freePort, until } from '../support/processes';
import { instructions, readDockerfile, stage } from './dockerfile';
import { exposedMetrics, queriedMetrics } from './metric-names';
import { repoPath, run } from './tools';

/**
 * What the image's runtime stage holds, laid out outside Docker the way the
 * Dockerfile lays it out: the manifests, the production install command of the
 * prod-deps stage as written there, the built files and what the runtime stage
 * copies from the build context.
 */
const stages = readDockerfile();
const BUILT = 'server/dist/main.js';

/** Tools of the build and the tests that must never reach the image. */
const DEV_ONLY = ['tsx', 'typescript', 'vitest', 'vite', 'esbuild', 'eslint', 'prettier', 'playwright-core', 'happy-dom', 'smtp-server', 'solid-js'];

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  workspaces?: string[];
}
const readManifest = (path: string): Manifest => JSON.parse(readFileSync(path, 'utf8'));

/** A production process started from the rebuilt runtime folder, with only the variables given. */
function start(dir: string, entry: string, env: Record<string, string>) {
  const child = spawn(process.execPath, [entry], { cwd: dir, env: { PATH: process.env.PATH!, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const proc = {
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const code = await exited;
      untrack(proc);
      return code;
    },
  };
  return track(proc, `${entry} from the runtime folder`);
}

describe('the runtime stage, rebuilt outside Docker', () => {
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'jobflow-runtime-'));
    const manifests = await run(process.execPath, [repoPath('scripts/runtime-files.mjs'), 'manifests', dir]);
    expect(manifests, manifests.stderr).toMatchObject({ code: 0 });
    for (const { args } of instructions(stage(stages, 'prod-deps'), 'RUN')) {
      const installed = await run('sh', ['-c', args], { cwd: dir, timeoutMs: 300_000 });
      expect(installed.code, `${args}\n${installed.stderr}`).toBe(0);
    }
  }, 330_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('holds no build or test tool', () => {
    const present = DEV_ONLY.filter((name) => existsSync(join(dir, 'node_modules', name)));
    expect(present).toEqual([]);
    expect(existsSync(join(dir, 'node_modules/.bin/tsx'))).toBe(false);
  });

  it('holds every dependency the server and the worker declare, and the workspaces they import', () => {
    const root = readManifest(join(dir, 'package.json'));
    const workspaces = new Map(root.workspaces!.map((w) => [readManifest(join(dir, w, 'package.json')).name, w]));
    const missing: string[] = [];
    const seen = new Set<string>();
    const visit = (workspace: string) => {
      if (seen.has(workspace)) return;
      seen.add(workspace);
      for (const dep of Object.keys(readManifest(join(dir, workspace, 'package.json')).dependencies ?? {})) {
        const found = [join(dir, 'node_modules', dep), join(dir, workspace, 'node_modules', dep)].some((p) => existsSync(p));
        if (!found) missing.push(`${dep} (for ${workspace})`);
        const linked = workspaces.get(dep);
        if (linked) visit(linked);
      }
    };
    visit('server');
    visit('worker');
    expect(missing).toEqual([]);
    expect(seen.size).toBeGreaterThanOrEqual(3);
  });

  it('serves the UI, the API, health and metrics from compiled JavaScript, and migrates, without dev dependencies', async (ctx) => {
    ctx.skip(!existsSync(repoPath(BUILT)), `${BUILT} is not built: \`npm run build\` does not compile the server yet`);

    const built = await run(process.execPath, [repoPath('scripts/runtime-files.mjs'), 'dist', dir]);
    expect(built, built.stderr).toMatchObject({ code: 0 });
    for (const copy of instructions(stages.at(-1)!, 'COPY').filter((c) => !c.flags.from)) {
      const [source, target] = copy.args.split(' ');
      mkdirSync(dirname(join(dir, target!)), { recursive: true });
      cpSync(repoPath(source!), join(dir, target!), { recursive: true });
    }
    for (const entry of ['server/dist/main.js', 'worker/dist/main.js', 'server/dist/migrate.js', 'server/dist/admin.js', 'ui/dist/index.html']) {
      expect(existsSync(join(dir, entry)), entry).toBe(true);
    }

    // Migrations into an empty database, as the one-shot container runs them.
    const empty = `jobflow_test_runtime_${randomBytes(4).toString('hex')}`;
    await adminQuery(`create database ${empty}`);
    const secrets = {
      JWT_SECRET: randomBytes(32).toString('hex'),
      SECRETS_KEY: randomBytes(32).toString('base64'),
      METRICS_TOKEN: randomBytes(16).toString('hex'),
    };
    try {
      const migrated = await run(process.execPath, ['server/dist/migrate.js'], {
        cwd: dir,
        env: {
          PATH: process.env.PATH,
          NODE_ENV: 'production',
          DATABASE_URL: databaseUrl(empty),
          REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
          ...secrets,
        },
      });
      expect(migrated.code, migrated.stdout + migrated.stderr).toBe(0);
      const client = new pg.Client({ connectionString: databaseUrl(empty) });
      await client.connect();
      const { rows } = await client.query<{ n: string }>(`select count(*) as n from information_schema.tables where table_schema = 'public'`);
      await client.end();
      expect(Number(rows[0]!.n)).toBeGreaterThan(3);
    } finally {
      await adminQuery(`drop database if exists ${empty} with (force)`);
    }

    const db = await createTestDatabase();
    const [port, healthPort] = [await freePort(), await freePort()];
    const env = {
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      DATABASE_URL: db.url,
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      REDIS_PREFIX: uniquePrefix(),
      ...secrets,
    };
    const server = start(dir, 'server/dist/main.js', { ...env, PORT: String(port), SHUTDOWN_DELAY_MS: '0' });
    const worker = start(dir, 'worker/dist/main.js', {
      ...env,
      HEALTH_PORT: String(healthPort),
      SHUTDOWN_GRACE_MS: '1000',
      PUBLIC_URL: `http://127.0.0.1:${port}`,
    });
    const auth = { authorization: `Bearer ${secrets.METRICS_TOKEN}` };
    try {
      const serverUrl = `http://127.0.0.1:${port}`;
      const workerUrl = `http://127.0.0.1:${healthPort}`;
      for (const [url, proc, role] of [
        [serverUrl, server, 'server'],
        [workerUrl, worker, 'worker'],
      ] as const) {
        await until(async () => (await fetch(`${url}/readyz`)).ok, `the ${role} to answer ${url}/readyz`, 60_000).catch((err: Error) => {
          throw new Error(`${err.message}; it printed:\n${proc.output()}`);
        });
      }

      const ui = await fetch(serverUrl);
      expect(ui.headers.get('content-type')).toMatch(/text\/html/);
      expect(await ui.text()).toContain('<script');
      expect((await fetch(`${serverUrl}/api/openapi.json`)).status).toBe(200);

      expect((await fetch(`${serverUrl}/metrics`)).status).toBe(401);
      const exposed = new Set<string>();
      for (const url of [`${serverUrl}/metrics`, `${workerUrl}/metrics`]) {
        const res = await fetch(url, { headers: auth });
        expect(res.status, url).toBe(200);
        expect(res.headers.get('content-type'), url).toMatch(/^text\/plain/);
        for (const name of exposedMetrics(await res.text())) exposed.add(name);
      }
      const queriedButMissing = [...queriedMetrics()].filter(([name]) => !exposed.has(name)).map(([name, where]) => `${name} (${where.join(', ')})`);
      expect(queriedButMissing, 'metrics the alerts, dashboard or autoscaler query that no process exports').toEqual([]);

      // The image's health check finds either role.
      const healthcheck = (ports: Record<string, string>) =>
        run(process.execPath, ['deploy/docker/healthcheck.mjs'], { cwd: dir, env: { PATH: process.env.PATH, ...ports } });
      expect((await healthcheck({ PORT: String(port), HEALTH_PORT: String(port) })).code).toBe(0);
      expect((await healthcheck({ PORT: String(await freePort()), HEALTH_PORT: String(healthPort) })).code).toBe(0);

      expect(server.output() + worker.output()).not.toMatch(/Cannot find (module|package)|ERR_MODULE_NOT_FOUND|ERR_UNKNOWN_FILE_EXTENSION/);
    } finally {
      expect(await worker.stop(), worker.output()).toBe(0);
      expect(await server.stop(), server.output()).toBe(0);
      await db.drop();
    }
  }, 240_000);
});
