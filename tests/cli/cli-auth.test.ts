import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CreatedTokenDto, UserDto } from '@jobflow/shared';
import { startStack, type Stack, type TestUser } from '../support/stack';
import { REPO_ROOT } from '../support/processes';
import { jobflow, killJobflowProcesses } from './run-cli';

// Each test starts several `jobflow` processes; on a busy machine they take a while to boot.
vi.setConfig({ testTimeout: 180_000 });

let stack: Stack;
let dir: string;
let home = 0;

beforeAll(async () => {
  stack = await startStack();
  dir = await mkdtemp(join(tmpdir(), 'jobflow-cli-auth-'));
});
afterAll(async () => {
  await killJobflowProcesses();
  await rm(dir, { recursive: true, force: true });
  await stack.stop();
});

/** A fresh HOME and config dir, with no JOBFLOW_* variables. */
function freshHome() {
  const root = join(dir, `home-${++home}`);
  const configHome = join(root, 'config');
  return { env: { HOME: root, XDG_CONFIG_HOME: configHome }, configFile: join(configHome, 'jobflow', 'config.json') };
}

/** Runs the calls a few at a time, keeping their order. */
async function inBatches<T>(calls: Array<() => Promise<T>>, size = 4): Promise<T[]> {
  const results: T[] = [];
  for (let i = 0; i < calls.length; i += size) results.push(...(await Promise.all(calls.slice(i, i + size).map((call) => call()))));
  return results;
}

const me = (token: string) => stack.request<{ user: UserDto }>('GET', '/api/auth/me', { token });
const apiToken = async (user: TestUser) =>
  (await stack.request<CreatedTokenDto>('POST', '/api/tokens', { token: user.token, body: { name: 'cli' } })).body.token as string;

describe('jobflow login, whoami, logout', () => {
  it('asks for the server, email and password, stores a token only its owner can read, and later commands use it', async () => {
    const user = await stack.createUser();
    const { env, configFile } = freshHome();
    const login = await jobflow(['login'], { env, input: `${stack.baseUrl}\n${user.email}\n${user.password}\n` });
    expect(login.code, login.stderr).toBe(0);
    expect(login.stderr).toContain(`signed in to ${stack.baseUrl} as ${user.email}`);

    expect((await stat(configFile)).mode & 0o777).toBe(0o600);
    expect((await stat(join(configFile, '..'))).mode & 0o777).toBe(0o700);
    const stored = JSON.parse(await readFile(configFile, 'utf8'));
    expect(stored).toMatchObject({ url: stack.baseUrl, token: expect.stringMatching(/^jf_/) });
    expect((await me(stored.token)).body.user).toMatchObject({ id: user.id, role: 'user' });

    const whoami = await jobflow(['whoami', '--json'], { env });
    expect(whoami.code, whoami.stderr).toBe(0);
    expect(JSON.parse(whoami.stdout)).toMatchObject({ url: stack.baseUrl, source: 'config', user: { email: user.email } });
    const plain = await jobflow(['whoami'], { env });
    expect(plain.stdout).toMatch(new RegExp(`^email\\s+${user.email.replace(/[.]/g, '\\.')}$`, 'm'));
    expect((await jobflow(['jobs'], { env })).code).toBe(0);

    // The stored token goes only to the server it was made for.
    const elsewhere = await jobflow(['whoami'], { env: { ...env, JOBFLOW_URL: 'http://127.0.0.1:9' } });
    expect(elsewhere.code).toBe(3);
    expect(elsewhere.stderr).toMatch(/unauthorized: Not signed in/);

    const logout = await jobflow(['logout'], { env });
    expect(logout.code, logout.stderr).toBe(0);
    await expect(stat(configFile)).rejects.toThrow(/ENOENT/);
    expect((await me(stored.token)).status).toBe(401);
    expect((await jobflow(['whoami'], { env })).code).toBe(3);
  });

  it('replaces and revokes the stored token when signing in again; reads the password from stdin for scripts', async () => {
    const user = await stack.createUser();
    const { env, configFile } = freshHome();
    const args = ['login', '--url', stack.baseUrl, '--email', user.email, '--password-stdin'];
    expect((await jobflow(args, { env, input: `${user.password}\n` })).code).toBe(0);
    const first = JSON.parse(await readFile(configFile, 'utf8')).token as string;
    expect((await jobflow(args, { env, input: user.password })).code).toBe(0);
    const second = JSON.parse(await readFile(configFile, 'utf8')).token as string;
    expect(second).not.toBe(first);
    expect((await me(first)).status).toBe(401);
    expect((await me(second)).status).toBe(200);
  });

  it('refuses a wrong password with invalid_credentials and stores nothing', async () => {
    const user = await stack.createUser();
    const { env, configFile } = freshHome();
    const login = await jobflow(['login', '--url', stack.baseUrl, '--email', user.email, '--password-stdin'], { env, input: 'not-the-password' });
    expect(login.code).toBe(3);
    expect(login.stderr).toMatch(/invalid_credentials/);
    await expect(stat(configFile)).rejects.toThrow(/ENOENT/);
  });

  it('stores an API token given on stdin after checking it, and forgets it on logout without revoking it', async () => {
    const user = await stack.createUser();
    const token = await apiToken(user);
    const { env, configFile } = freshHome();
    const login = await jobflow(['login', '--url', `${stack.baseUrl}/`, '--token-stdin'], { env, input: `${token}\n` });
    expect(login.code, login.stderr).toBe(0);
    expect(login.stderr).toContain(`signed in to ${stack.baseUrl} as ${user.email}`);
    expect((await stat(configFile)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(configFile, 'utf8'))).toEqual({ url: stack.baseUrl, token, email: user.email });

    const whoami = await jobflow(['whoami', '--json'], { env });
    expect(JSON.parse(whoami.stdout)).toMatchObject({ source: 'config', user: { id: user.id } });
    expect((await jobflow(['logout'], { env })).code).toBe(0);
    await expect(stat(configFile)).rejects.toThrow(/ENOENT/);
    // The token was the user's own: forgetting it here leaves it working elsewhere.
    expect((await me(token)).status).toBe(200);
  });

  it('refuses a token the server does not accept, or none, and stores nothing', async () => {
    const { env, configFile } = freshHome();
    const [refused, empty, mixed] = await Promise.all([
      jobflow(['login', '--url', stack.baseUrl, '--token-stdin'], { env, input: 'jf_not-a-token\n' }),
      jobflow(['login', '--url', stack.baseUrl, '--token-stdin'], { env, input: '\n' }),
      jobflow(['login', '--url', stack.baseUrl, '--token-stdin', '--email', 'a@example.com'], { env, input: 'jf_x\n' }),
    ]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/unauthorized/);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/read no token/);
    expect(mixed.code).toBe(2);
    await expect(stat(configFile)).rejects.toThrow(/ENOENT/);
  });

  it('lets JOBFLOW_URL and JOBFLOW_TOKEN stand in for a login', async () => {
    const user = await stack.createUser();
    const { env } = freshHome();
    const whoami = await jobflow(['whoami', '--json'], { env: { ...env, JOBFLOW_URL: stack.baseUrl, JOBFLOW_TOKEN: await apiToken(user) } });
    expect(whoami.code, whoami.stderr).toBe(0);
    expect(JSON.parse(whoami.stdout)).toMatchObject({ source: 'env', user: { id: user.id } });
  });
});

describe('jobflow tokens', () => {
  it('creates a token whose secret is printed once, lists it without the secret, and revokes it', async () => {
    const user = await stack.createUser();
    const { env: base } = freshHome();
    const env = { ...base, JOBFLOW_URL: stack.baseUrl, JOBFLOW_TOKEN: await apiToken(user) };

    const created = await jobflow(['tokens', 'create', 'ci-deploy', '--expires-in', '7'], { env });
    expect(created.code, created.stderr).toBe(0);
    const secret = created.stdout.trim();
    expect(secret).toMatch(/^jf_\S+$/);
    expect(created.stderr).toMatch(/not shown again/);
    expect((await me(secret)).body.user.id).toBe(user.id);

    const listed = await jobflow(['tokens', 'list', '--json'], { env });
    expect(listed.stdout).not.toContain(secret);
    const token = (JSON.parse(listed.stdout) as Array<{ id: string; name: string; expiresAt: string | null }>).find((t) => t.name === 'ci-deploy');
    expect(token).toBeDefined();
    expect(Date.parse(token!.expiresAt!)).toBeGreaterThan(Date.now() + 6 * 86_400_000);
    const table = await jobflow(['tokens', 'list'], { env });
    expect(table.stdout).toMatch(new RegExp(`^${token!.id}\\s+ci-deploy\\s`, 'm'));
    expect(table.stdout).not.toContain(secret);

    const others = await jobflow(['tokens', 'list', '--user', 'all'], { env });
    expect(others.code).toBe(3);
    expect(others.stderr).toMatch(/forbidden/);
    const adminView = await jobflow(['tokens', 'list', '--user', user.id, '--json'], { env: { ...env, JOBFLOW_TOKEN: await apiToken(stack.admin) } });
    expect((JSON.parse(adminView.stdout) as Array<{ id: string }>).map((t) => t.id)).toContain(token!.id);

    const revoked = await jobflow(['tokens', 'revoke', token!.id], { env });
    expect(revoked.code, revoked.stderr).toBe(0);
    expect((await me(secret)).status).toBe(401);
  });
});

/** Every command `jobflow --help` lists. */
const COMMANDS = [
  'login',
  'logout',
  'whoami',
  'jobs',
  'job',
  'types',
  'run',
  'logs',
  'artifacts',
  'export',
  'cancel',
  'rerun',
  'watch',
  'tokens',
  'completion',
];

describe('jobflow usage', () => {
  it('has --help for every command', async () => {
    const results = await inBatches(COMMANDS.map((name) => () => jobflow([name, '--help'])));
    results.forEach((result, i) => {
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`^Usage: jobflow ${COMMANDS[i]}\\b`));
    });
    const general = await jobflow(['--help']);
    expect(general.code).toBe(0);
    const listed = [...general.stdout.matchAll(/^ {2}([a-z]+) {2,}\S/gm)].map((m) => m[1]);
    expect(listed).toEqual(COMMANDS);
  });

  it('exits 2 with a hint for a wrong call, before asking the server anything', async () => {
    const calls = [
      [],
      ['frobnicate'],
      ['run'],
      ['run', 'a', 'b'],
      ['run', 'a', '--no-such-option'],
      ['logs', 'x', '--after', 'soon'],
      ['jobs', '--limit', '0'],
      ['job'],
      ['job', 'create', '--name', 'x'],
      ['job', 'create', '--type', 'sleep', '--name', 'x', '--param', 'no-equals-sign'],
      ['tokens', 'frobnicate'],
      ['tokens', 'create', 'x', '--expires-in', '1', '--expires-at', '2030-01-01T00:00:00Z'],
    ];
    const results = await inBatches(calls.map((args) => () => jobflow(args, { env: { JOBFLOW_URL: 'http://127.0.0.1:9', JOBFLOW_TOKEN: 'jf_x' } })));
    results.forEach((result, i) => {
      expect({ args: calls[i], code: result.code }).toEqual({ args: calls[i], code: 2 });
      expect(result.stderr).toMatch(/jobflow/);
      expect(result.stderr).not.toMatch(/network_error/);
    });
  });

  it('runs as "npx jobflow" from the repository', async () => {
    const result = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = spawn('npx', ['--no-install', 'jobflow', '--version'], { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '', HOME: dir } });
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.on('close', (code) => resolve({ code, stdout }));
    });
    expect(result).toEqual({ code: 0, stdout: 'jobflow 0.1.0\n' });
  });
});
