import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CreatedTokenDto, JobDto } from '@jobflow/shared';
import { repoPath } from '../deploy/tools';
import { runCommand as run, type Ran } from '../support/commands';
import { startStack, type Stack } from '../support/stack';

/**
 * @jobflow/client and @jobflow/cli as a user gets them: packed with `npm pack`,
 * installed into empty folders outside the repository (the command with
 * `npm install -g`, the client with its registry dependencies), and used
 * against a live server.
 */
vi.setConfig({ testTimeout: 120_000, hookTimeout: 300_000 });

const SERVER_LIBRARIES = ['koa', '@koa/router', 'pg', 'ioredis', 'bee-queue', '@mikro-orm/core', 'socket.io', '@socket.io/redis-adapter', 'nodemailer', 'tsx'];

let stack: Stack;
let dir: string;
let token: string;
/** What npm and the installed programs see: nothing of the repository or of the test runner's npm. */
let userEnv: Record<string, string>;
let globalPrefix: string;
let app: string;

const npm = async (args: string[], cwd: string): Promise<Ran> => {
  const result = await run('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, env: userEnv, timeoutMs: 240_000 });
  expect(result.code, `npm ${args.join(' ')}\n${result.stderr}`).toBe(0);
  return result;
};

const shellJob = async (name: string, script: string): Promise<JobDto> => {
  const res = await stack.request<JobDto>('POST', '/api/jobs', { token: stack.admin.token, body: { name, type: 'shell', params: { script } } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
};

beforeAll(async () => {
  // The packages as the sources stand (a no-op when they are built already).
  const built = await run(process.execPath, [repoPath('scripts/build-packages.mjs'), '--if-stale'], { cwd: repoPath(), timeoutMs: 240_000 });
  expect(built.code, built.stderr).toBe(0);

  stack = await startStack();
  token = (await stack.request<CreatedTokenDto>('POST', '/api/tokens', { token: stack.admin.token, body: { name: 'packages' } })).body.token;
  dir = await mkdtemp(join(tmpdir(), 'jobflow-packages-'));
  const home = join(dir, 'home');
  globalPrefix = join(dir, 'global');
  app = join(dir, 'app');
  await Promise.all([mkdir(home), mkdir(globalPrefix), mkdir(app), mkdir(join(dir, 'tarballs'))]);
  // npm's cache is the user's (packages the repository installed are in it already); nothing else is inherited.
  userEnv = { PATH: process.env.PATH ?? '', HOME: home, npm_config_cache: process.env.npm_config_cache ?? join(process.env.HOME ?? home, '.npm') };

  await npm(['pack', '-w', 'client', '-w', 'cli', '--pack-destination', join(dir, 'tarballs')], repoPath());
  const tarballs = await readdir(join(dir, 'tarballs'));
  const tarball = (name: string) =>
    join(
      dir,
      'tarballs',
      tarballs.find((file) => file.startsWith(`jobflow-${name}-`))!,
    );

  await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'uses-jobflow', private: true, type: 'module' }, null, 2));
  await Promise.all([npm(['install', '-g', '--prefix', globalPrefix, tarball('cli')], dir), npm(['install', '--prefer-offline', tarball('client')], app)]);
});

afterAll(async () => {
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the jobflow command installed with npm install -g', () => {
  it('is one file with no dependencies, and runs without the repository', async () => {
    const installed = join(globalPrefix, 'lib', 'node_modules', '@jobflow', 'cli');
    const manifest = JSON.parse(await readFile(join(installed, 'package.json'), 'utf8'));
    expect(manifest.bin).toEqual({ jobflow: 'dist/jobflow.js' });
    expect(manifest.dependencies ?? {}).toEqual({});
    expect(existsSync(join(installed, 'node_modules'))).toBe(false);
    expect((await readdir(installed)).sort()).toEqual(['CHANGELOG.md', 'LICENSE', 'README.md', 'dist', 'package.json']);
    expect((await readFile(join(installed, 'dist', 'jobflow.js'), 'utf8')).startsWith('#!/usr/bin/env node\n')).toBe(true);

    const version = await run(join(globalPrefix, 'bin', 'jobflow'), ['--version'], { cwd: dir, env: userEnv });
    expect(version).toMatchObject({ code: 0, stdout: 'jobflow 0.1.0\n' });
  });

  it('logs in with a token and runs a job with --follow to its end, exit 0', async () => {
    const job = await shellJob('packaged cli job', 'echo "from the packed command"; echo "to stderr" >&2; echo done');
    const jobflow = join(globalPrefix, 'bin', 'jobflow');
    const env = { ...userEnv, XDG_CONFIG_HOME: join(dir, 'config') };

    const login = await run(jobflow, ['login', '--url', stack.baseUrl, '--token-stdin'], { cwd: dir, env, input: `${token}\n` });
    expect(login.code, login.stderr).toBe(0);
    expect(login.stderr).toContain(`signed in to ${stack.baseUrl} as ${stack.admin.email}`);

    const followed = await run(jobflow, ['run', job.name, '--follow'], { cwd: dir, env });
    expect(followed.code, followed.stderr).toBe(0);
    expect(followed.stdout).toBe('from the packed command\ndone\n');
    expect(followed.stderr).toContain('to stderr');
    expect(followed.stderr).toMatch(/succeeded/);
  });
});

describe('@jobflow/client installed with npm install', () => {
  it('depends on zod and socket.io-client only, and brings no server library', async () => {
    const installed = join(app, 'node_modules', '@jobflow', 'client');
    const manifest = JSON.parse(await readFile(join(installed, 'package.json'), 'utf8'));
    expect(Object.keys(manifest.dependencies).sort()).toEqual(['socket.io-client', 'zod']);
    for (const name of SERVER_LIBRARIES) expect(existsSync(join(app, 'node_modules', name)), name).toBe(false);
    expect(existsSync(join(app, 'node_modules', '@jobflow', 'shared'))).toBe(false);
    const declarations = await readFile(join(installed, 'dist', 'index.d.ts'), 'utf8');
    expect(declarations).not.toMatch(/@jobflow\/(shared|core)/);
    const code = await readFile(join(installed, 'dist', 'index.js'), 'utf8');
    const imported = new Set([...code.matchAll(/^import .* from ["']([^"']+)["'];$/gm)].map((m) => m[1]));
    expect([...imported].sort()).toEqual(['socket.io-client', 'zod']);
  });

  it('starts a run from an ES module script and follows it with followRun to the end', async () => {
    const job = await shellJob('packaged client job', 'for i in 1 2 3; do echo "line $i"; done');
    await writeFile(
      join(app, 'follow.mjs'),
      `import { createClient, isFinalStatus } from '@jobflow/client';

const client = createClient({ url: process.env.JOBFLOW_URL, token: process.env.JOBFLOW_TOKEN });
const run = await client.jobs.run(process.argv[2]);
const follow = client.followRun(run.id);
for await (const event of follow) {
  if (event.type === 'log') console.log(event.line.seq, event.line.text);
}
console.log('final', follow.run.status, isFinalStatus(follow.run.status));
client.close();
`,
    );
    const result = await run(process.execPath, ['follow.mjs', job.id], { cwd: app, env: { ...userEnv, JOBFLOW_URL: stack.baseUrl, JOBFLOW_TOKEN: token } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('1 line 1\n2 line 2\n3 line 3\nfinal succeeded true\n');
  });

  it('type-checks a TypeScript program against its own declarations (moduleResolution nodenext)', async () => {
    await writeFile(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          lib: ['ES2022', 'DOM', 'DOM.Iterable'],
          types: [],
          strict: true,
          skipLibCheck: false,
          noEmit: true,
        },
        files: ['check.ts'],
      }),
    );
    await writeFile(
      join(app, 'check.ts'),
      `import { ApiClientError, createClient, isFinalStatus, type FollowEvent, type JobflowClient, type RunDto, type RunStatus } from '@jobflow/client';

export async function lastStatus(client: JobflowClient, jobId: string): Promise<RunStatus> {
  const run: RunDto = await client.jobs.run(jobId, { params: { seconds: 1 } });
  for await (const event of client.followRun(run.id, { afterSeq: 0 })) {
    const seen: FollowEvent = event;
    if (seen.type === 'log') seen.line.seq.toFixed();
  }
  return run.status;
}

export const client = createClient({ url: 'http://127.0.0.1:3000', token: 'jf_x' });
export const isDone = (status: RunStatus) => isFinalStatus(status);
export const isRefused = (error: unknown) => error instanceof ApiClientError && error.code === 'unauthorized';
// @ts-expect-error a run id is a string
client.runs.get(42);
// @ts-expect-error not a status
export const wrong: RunStatus = 'finished';
`,
    );
    const tsc = await run(process.execPath, [repoPath('node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: app, env: userEnv });
    expect(tsc, tsc.stdout).toMatchObject({ code: 0 });
  });

  it('offers the schemas it declares as types only, as the JavaScript exports none of them', async () => {
    await writeFile(
      join(app, 'misuse.ts'),
      `import { RunDto } from '@jobflow/client';\n\nexport type Run = RunDto;\nexport const parsed = RunDto.parse({});\n`,
    );
    const tsc = await run(
      process.execPath,
      [
        repoPath('node_modules/typescript/bin/tsc'),
        '--noEmit',
        '--strict',
        '--module',
        'NodeNext',
        '--moduleResolution',
        'NodeNext',
        '--lib',
        'ES2022,DOM',
        'misuse.ts',
      ],
      { cwd: app, env: userEnv },
    );
    expect(tsc.code).not.toBe(0);
    expect(tsc.stdout).toMatch(/misuse\.ts\(4,23\): error TS136[12]: 'RunDto' cannot be used as a value because it was exported using 'export type'/);
  });
});
