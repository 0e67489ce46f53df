import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ack, CreatedTokenDto, JobDto, LoginResponse, Page, RunDto, UserDto } from '@jobflow/shared';
import { accessPolicy, type Action, type Relation } from '@jobflow/server';
import { workerStore } from '@jobflow/core/workers';
import { errorOf, startStack, type Stack, type TestUser } from '../support/stack';

let stack: Stack;
let owner: TestUser;
let other: TestUser;
let starter: TestUser;
let admin: TestUser;
let jobId: string;
let adminJobId: string;
let runId: string;
/** A run holding one artifact, `probe.txt`. */
let artifactRunId: string;

type Who = 'anonymous' | 'owner' | 'other' | 'admin';
const tokenOf = (who: Who) => ({ anonymous: undefined, owner: owner.token, other: other.token, admin: admin.token })[who];

beforeAll(async () => {
  stack = await startStack({ workers: 0 });
  admin = stack.admin;
  owner = await stack.createUser();
  other = await stack.createUser();
  const job = await stack.request<JobDto>('POST', '/api/jobs', { token: owner.token, body: { name: 'owned', type: 'sleep', params: { seconds: 30 } } });
  jobId = job.body.id;
  const adminJob = await stack.request<JobDto>('POST', '/api/jobs', {
    token: admin.token,
    body: { name: 'admin shell', type: 'shell', params: { script: 'true' } },
  });
  adminJobId = adminJob.body.id;
  runId = (await stack.request<RunDto>('POST', `/api/jobs/${jobId}/runs`, { token: owner.token, body: {} })).body.id;
  artifactRunId = (await stack.request<RunDto>('POST', `/api/jobs/${jobId}/runs`, { token: owner.token, body: {} })).body.id;
  // No worker runs here: the run is claimed as one would, and attaches a file.
  await stack.app.deps.runs.claim({ runId: artifactRunId, attempt: 1, workerId: 'probe', queueJobId: 'probe' });
  await stack.app.deps.artifacts.attach({ runId: artifactRunId, attempt: 1, name: 'probe.txt', body: 'hello' });
  starter = await stack.createUser();
  for (const persona of ['admin', 'owner', 'other', 'starter'] as const) {
    const user = { admin, owner, other, starter }[persona];
    // API tokens: probing logout ends sessions, and the matrix must keep its callers.
    apiTokens[persona] = (await stack.request<CreatedTokenDto>('POST', '/api/tokens', { token: user.token, body: { name: 'matrix' } })).body.token;
  }
});
afterAll(() => stack.stop());

const expectStatus = async <T = unknown>(who: Who, method: string, path: () => string, status: number, code?: string, body?: unknown) => {
  const res = await stack.request<T>(method, path(), { token: tokenOf(who), body });
  expect(res.status, `${who} ${method} ${path()} -> ${JSON.stringify(res.body)}`).toBe(status);
  if (code) expect(errorOf(res).code).toBe(code);
  if (status >= 400) expect(typeof errorOf(res).message).toBe('string');
  return res;
};

/** Who calls, and the relations each holds to the resources the probes act on (all owned by `owner`; the probed run started by `starter`). */
const PERSONAS = {
  anonymous: [] as Relation[],
  admin: ['signedIn', 'admin'] as Relation[],
  owner: ['signedIn', 'jobOwner', 'tokenOwner'] as Relation[],
  starter: ['signedIn', 'runStarter'] as Relation[],
  other: ['signedIn'] as Relation[],
} as const;
type Persona = keyof typeof PERSONAS;
const apiTokens: Partial<Record<Persona, string>> = {};

let counter = 0;
const unique = () => `${Date.now().toString(36)}-${++counter}`;
const as = <T = unknown>(token: string | undefined, method: string, path: string, body?: unknown) => stack.request<T>(method, path, { token, body });
const ownersJob = async (extra: Record<string, unknown> = {}) =>
  (await as<JobDto>(apiTokens.owner, 'POST', '/api/jobs', { name: `probe ${unique()}`, type: 'sleep', params: { seconds: 30 }, ...extra })).body.id as string;
/** A job of an admin-only type, given to `owner` by an admin. */
const ownersShellJob = async () => {
  const id = (await as<JobDto>(apiTokens.admin, 'POST', '/api/jobs', { name: `shell ${unique()}`, type: 'shell', params: { script: 'true' } })).body
    .id as string;
  expect((await as(apiTokens.admin, 'PATCH', `/api/jobs/${id}`, { ownerId: owner.id })).status).toBe(200);
  return id;
};
const runOf = async (job: string, by: Persona) => (await as<RunDto>(apiTokens[by], 'POST', `/api/jobs/${job}/runs`, {})).body.id as string;

type Probe = (token: string | undefined) => Promise<number>;
const status = async (p: Promise<{ status: number }>) => (await p).status;

/** One request per action of the access policy; the matrix below is generated from the policy itself. */
const probes: Record<Action, Probe> = {
  'auth.me': (t) => status(as(t, 'GET', '/api/auth/me')),
  'auth.logout': (t) => status(as(t, 'POST', '/api/auth/logout')),
  'users.list': (t) => status(as(t, 'GET', '/api/users')),
  'users.read': (t) => status(as(t, 'GET', `/api/users/${other.id}`)),
  'users.create': (t) => status(as(t, 'POST', '/api/users', { email: `made-${unique()}@example.com`, password: 'password-1', role: 'user' })),
  'users.update': (t) => status(as(t, 'PATCH', `/api/users/${other.id}`, { name: `Other ${unique()}` })),
  'users.delete': async (t) => {
    const victim = await as<UserDto>(apiTokens.admin, 'POST', '/api/users', { email: `victim-${unique()}@example.com`, password: 'password-1', role: 'user' });
    return status(as(t, 'DELETE', `/api/users/${victim.body.id}`));
  },
  'people.list': (t) => status(as(t, 'GET', `/api/people?ids=${owner.id}`)),
  'tokens.create': (t) => status(as(t, 'POST', '/api/tokens', { name: `t ${unique()}` })),
  'tokens.listOwn': (t) => status(as(t, 'GET', '/api/tokens')),
  'tokens.listOthers': (t) => status(as(t, 'GET', '/api/tokens?userId=all')),
  'tokens.revoke': async (t) => {
    const token = (await as<CreatedTokenDto>(apiTokens.owner, 'POST', '/api/tokens', { name: `victim ${unique()}` })).body.id as string;
    return status(as(t, 'DELETE', `/api/tokens/${token}`));
  },
  'jobTypes.list': (t) => status(as(t, 'GET', '/api/job-types')),
  'jobs.list': (t) => status(as(t, 'GET', '/api/jobs')),
  'jobs.read': (t) => status(as(t, 'GET', `/api/jobs/${jobId}`)),
  'jobs.create': (t) => status(as(t, 'POST', '/api/jobs', { name: `mine ${unique()}`, type: 'sleep', params: { seconds: 1 } })),
  'jobs.createAdminOnlyType': (t) => status(as(t, 'POST', '/api/jobs', { name: `sh ${unique()}`, type: 'shell', params: { script: 'id' } })),
  'jobs.update': async (t) => status(as(t, 'PATCH', `/api/jobs/${await ownersJob()}`, { description: 'changed' })),
  'jobs.changeAdminOnlyParams': async (t) => status(as(t, 'PATCH', `/api/jobs/${await ownersShellJob()}`, { params: { script: 'id' } })),
  'jobs.changeOwner': async (t) => status(as(t, 'PATCH', `/api/jobs/${await ownersJob()}`, { ownerId: other.id })),
  'jobs.delete': async (t) => status(as(t, 'DELETE', `/api/jobs/${await ownersJob()}`)),
  'schedules.read': (t) => status(as(t, 'GET', `/api/jobs/${jobId}/schedule/fires`)),
  'schedules.pause': async (t) => status(as(t, 'POST', `/api/jobs/${await ownersJob({ schedule: { cron: '0 3 * * *', timezone: 'UTC' } })}/schedule/pause`)),
  'runs.list': (t) => status(as(t, 'GET', '/api/runs')),
  'runs.read': (t) => status(as(t, 'GET', `/api/runs/${runId}/logs`)),
  // NDJSON is not one JSON document: read as a plain response.
  'runs.export': async (t) => (await fetch(`${stack.baseUrl}/api/runs/${artifactRunId}/export`, { headers: t ? { authorization: `Bearer ${t}` } : {} })).status,
  'artifacts.list': (t) => status(as(t, 'GET', `/api/runs/${artifactRunId}/artifacts`)),
  'artifacts.read': (t) => status(as(t, 'GET', `/api/runs/${artifactRunId}/artifacts/probe.txt`)),
  'runs.start': (t) => status(as(t, 'POST', `/api/jobs/${jobId}/runs`, {})),
  'runs.startWithAdminOnlyParams': (t) => status(as(t, 'POST', `/api/jobs/${adminJobId}/runs`, { params: { script: 'id' } })),
  'runs.rerun': (t) => status(as(t, 'POST', `/api/runs/${runId}/rerun`, {})),
  'runs.cancel': async (t) => status(as(t, 'POST', `/api/runs/${await runOf(await ownersJob(), 'starter')}/cancel`)),
  'workers.list': (t) => status(as(t, 'GET', '/api/workers')),
  'workers.drain': async (t) => {
    const worker = await workerStore.register(stack.app.deps.db.sql, {
      id: `probe-${unique()}`,
      name: 'probe',
      host: 'probe-host',
      pid: 1,
      version: '0.0.0',
      concurrency: 1,
      heartbeatMs: 60_000,
    });
    return status(as(t, 'POST', `/api/workers/${worker.id}/drain`));
  },
  'logs.search': (t) => status(as(t, 'GET', '/api/logs/search?q=probe')),
  'audit.read': (t) => status(as(t, 'GET', '/api/audit')),
  'live.subscribe': async (t) => {
    const socket = io(stack.baseUrl, { auth: { token: t ?? '' }, transports: ['websocket'], forceNew: true, reconnection: false });
    try {
      const connected = await new Promise<boolean>((resolve) => {
        socket.once('connect', () => resolve(true));
        socket.once('connect_error', () => resolve(false));
      });
      if (!connected) return 401;
      const ack = await new Promise<Ack>((resolve) => socket.emit('subscribe', { topic: 'job', jobId }, resolve));
      return ack.ok ? 200 : ack.error.code === 'forbidden' ? 403 : 500;
    } finally {
      socket.disconnect();
    }
  },
};

/** What the policy says `persona` gets for `action`: 401 anonymous, 403 denied, else allowed. */
const expected = (action: Action, persona: Persona): 401 | 403 | 'allowed' => {
  if (persona === 'anonymous') return 401;
  const holds: readonly Relation[] = PERSONAS[persona];
  return accessPolicy[action].allow.some((relation: Relation) => holds.includes(relation)) ? 'allowed' : 403;
};

// Logout last: it ends the personas' sessions (the probes themselves use API tokens, which it leaves alone).
const matrix = (Object.keys(accessPolicy) as Action[])
  .sort((a, b) => Number(a === 'auth.logout') - Number(b === 'auth.logout'))
  .flatMap((action) => (Object.keys(PERSONAS) as Persona[]).map((persona) => [action, persona, expected(action, persona)] as const));

describe('what the matrix does not show', () => {
  it('rejects forged, malformed and expired-looking tokens', async () => {
    for (const token of ['nonsense', 'jf_notarealtoken', owner.token.slice(0, -3) + 'abc', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.']) {
      const res = await stack.request<{ user: UserDto }>('GET', '/api/auth/me', { token });
      expect(res.status).toBe(401);
      expect(errorOf(res).code).toBe('unauthorized');
    }
  });

  it('everyone signed in sees every job and run; only the owner or an admin changes a job', async () => {
    const seen = await expectStatus<JobDto>('other', 'GET', () => `/api/jobs/${jobId}`, 200);
    expect(seen.body.ownerId).toBe(owner.id);
    expect(seen.body.ownerName).toMatch(/^User \d+$/);
    const listed = await expectStatus<Page<JobDto>>('other', 'GET', () => '/api/jobs', 200);
    expect(listed.body.items.find((j: { id: string }) => j.id === jobId)?.ownerName).toBe(seen.body.ownerName);
    await expectStatus('other', 'GET', () => `/api/runs/${runId}`, 200);
    await expectStatus('other', 'GET', () => `/api/runs/${runId}/logs`, 200);
    await expectStatus('other', 'PATCH', () => `/api/jobs/${jobId}`, 403, 'forbidden', { name: 'stolen' });
    await expectStatus('other', 'DELETE', () => `/api/jobs/${jobId}`, 403, 'forbidden');
    const renamed = await expectStatus<JobDto>('owner', 'PATCH', () => `/api/jobs/${jobId}`, 200, undefined, { name: 'renamed by owner' });
    expect(renamed.body.name).toBe('renamed by owner');
    await expectStatus('admin', 'PATCH', () => `/api/jobs/${jobId}`, 200, undefined, { description: 'edited by admin' });
  });

  it('deleting a job: 409 while a run is queued, 204 after', async () => {
    const job = await expectStatus<JobDto>('owner', 'POST', () => '/api/jobs', 201, undefined, { name: 'to delete', type: 'sleep', params: { seconds: 1 } });
    const run = await expectStatus<RunDto>('owner', 'POST', () => `/api/jobs/${job.body.id}/runs`, 201, undefined, {});
    await expectStatus('owner', 'DELETE', () => `/api/jobs/${job.body.id}`, 409, 'conflict');
    await expectStatus('owner', 'POST', () => `/api/runs/${run.body.id}/cancel`, 202);
    await expectStatus('owner', 'DELETE', () => `/api/jobs/${job.body.id}`, 204);
    await expectStatus('owner', 'GET', () => `/api/jobs/${job.body.id}`, 404, 'not_found');
    await expectStatus('owner', 'GET', () => `/api/runs/${run.body.id}`, 404, 'not_found');
  });

  it('the last enabled admin cannot be demoted, disabled or deleted', async () => {
    await expectStatus('admin', 'PATCH', () => `/api/users/${admin.id}`, 409, 'conflict', { role: 'user' });
    await expectStatus('admin', 'PATCH', () => `/api/users/${admin.id}`, 409, 'conflict', { disabled: true });
    await expectStatus('admin', 'DELETE', () => `/api/users/${admin.id}`, 409, 'conflict');
    const second = await stack.createUser('admin');
    await expectStatus('admin', 'PATCH', () => `/api/users/${second.id}`, 200, undefined, { role: 'user' });
  });

  it('a disabled user is refused at once, and can sign in again when re-enabled', async () => {
    const user = await stack.createUser();
    await expectStatus('admin', 'PATCH', () => `/api/users/${user.id}`, 200, undefined, { disabled: true });
    const me = await stack.request<{ user: UserDto }>('GET', '/api/auth/me', { token: user.token });
    expect(me.status).toBe(401);
    const login = await stack.request<LoginResponse>('POST', '/api/auth/login', { body: { email: user.email, password: user.password } });
    expect(login.status).toBe(401);
    await expectStatus('admin', 'PATCH', () => `/api/users/${user.id}`, 200, undefined, { disabled: false, password: 'new-password-1' });
    const again = await stack.request<LoginResponse>('POST', '/api/auth/login', { body: { email: user.email, password: 'new-password-1' } });
    expect(again.status).toBe(200);
  });

  it('duplicate emails are a 409, whatever their case', async () => {
    await expectStatus('admin', 'POST', () => '/api/users', 409, 'conflict', { email: owner.email.toUpperCase(), password: 'password-1', role: 'user' });
  });
});

describe('sign-in', () => {
  it('answers an unknown email and a wrong password alike', async () => {
    const unknown = await stack.request<LoginResponse>('POST', '/api/auth/login', { body: { email: 'nobody@example.com', password: 'whatever1' } });
    const wrong = await stack.request<LoginResponse>('POST', '/api/auth/login', { body: { email: owner.email, password: 'wrong-password' } });
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(unknown.body).toEqual(wrong.body);
    expect(errorOf(wrong).code).toBe('invalid_credentials');
  });

  it('returns a token that works, its expiry and the user without any secret', async () => {
    const res = await stack.request<LoginResponse>('POST', '/api/auth/login', { body: { email: owner.email, password: owner.password } });
    expect(res.status).toBe(200);
    expect(Date.parse(res.body.expiresAt)).toBeGreaterThan(Date.now());
    expect(res.body.user).toMatchObject({ id: owner.id, email: owner.email, role: 'user', disabled: false });
    expect(JSON.stringify(res.body)).not.toMatch(/hash|password/i);
    const me = await stack.request<{ user: UserDto }>('GET', '/api/auth/me', { token: res.body.token });
    expect(me.body.user.id).toBe(owner.id);
  });

  it('rate-limits repeated failures for one account with 429 and Retry-After', async () => {
    const victim = await stack.createUser();
    let last;
    for (let i = 0; i < 12; i++) {
      last = await stack.request<LoginResponse>('POST', '/api/auth/login', { body: { email: victim.email, password: 'wrong-password' } });
    }
    expect(last!.status).toBe(429);
    expect(errorOf(last!).code).toBe('rate_limited');
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    const evenRight = await stack.request<LoginResponse>('POST', '/api/auth/login', { body: { email: victim.email, password: victim.password } });
    expect(evenRight.status).toBe(429);
  });
});

// Last in the file: probing logout ends the sessions the tests above sign in with.
describe('authorization matrix, generated from the access policy', () => {
  it('has a probe for every action of the policy, and no other', () => {
    expect(Object.keys(probes).sort()).toEqual(Object.keys(accessPolicy).sort());
  });

  it.each(matrix)('%s as %s: %s', async (action, persona, want) => {
    const got = await probes[action](persona === 'anonymous' ? undefined : apiTokens[persona]);
    if (want === 'allowed') {
      expect(got, `${action} as ${persona}`).toBeLessThan(400);
    } else {
      expect(got, `${action} as ${persona}`).toBe(want);
    }
  });
});
