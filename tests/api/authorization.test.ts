import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobDto, LoginResponse, Page, RunDto, UserDto } from '@jobflow/shared';
import { errorOf, startStack, type Stack, type TestUser } from '../support/stack';

let stack: Stack;
let owner: TestUser;
let other: TestUser;
let admin: TestUser;
let jobId: string;
let adminJobId: string;
let runId: string;

type Who = 'anonymous' | 'owner' | 'other' | 'admin';
const tokenOf = (who: Who) => ({ anonymous: undefined, owner: owner.token, other: other.token, admin: admin.token })[who];

beforeAll(async () => {
  stack = await startStack({ workers: 0 });
  admin = stack.admin;
  owner = await stack.createUser();
  other = await stack.createUser();
  jobId = (await stack.createJob({ name: 'owned', type: 'sleep', params: { seconds: 30 } }, owner.token)).id;
  adminJobId = (await stack.createJob({ name: 'admin shell', type: 'shell', params: { script: 'true' } })).id;
  runId = (await stack.startRun(jobId, {}, owner.token)).id;
});
afterAll(() => stack.stop());

const expectStatus = async <T = unknown>(who: Who, method: string, path: () => string, status: number, code?: string, body?: unknown) => {
  const res = await stack.request<T>(method, path(), { token: tokenOf(who), body });
  expect(res.status, `${who} ${method} ${path()} -> ${JSON.stringify(res.body)}`).toBe(status);
  if (code) expect(errorOf(res).code).toBe(code);
  if (status >= 400) expect(typeof errorOf(res).message).toBe('string');
  return res;
};

describe('authorization matrix', () => {
  it('every endpoint refuses anonymous callers with 401 unauthorized', async () => {
    for (const [method, path] of [
      ['GET', '/api/auth/me'],
      ['GET', '/api/users'],
      ['POST', '/api/users'],
      ['GET', '/api/job-types'],
      ['GET', '/api/jobs'],
      ['POST', '/api/jobs'],
      ['GET', `/api/jobs/${jobId}`],
      ['PATCH', `/api/jobs/${jobId}`],
      ['DELETE', `/api/jobs/${jobId}`],
      ['POST', `/api/jobs/${jobId}/runs`],
      ['GET', '/api/runs'],
      ['GET', `/api/runs/${runId}`],
      ['GET', `/api/runs/${runId}/logs`],
      ['GET', `/api/runs/${runId}/logs.txt`],
      ['POST', `/api/runs/${runId}/cancel`],
      ['POST', `/api/runs/${runId}/rerun`],
      ['GET', '/api/tokens'],
      ['POST', '/api/tokens'],
    ] as const) {
      await expectStatus('anonymous', method, () => path, 401, 'unauthorized');
    }
  });

  it('rejects forged, malformed and expired-looking tokens', async () => {
    for (const token of ['nonsense', 'jf_notarealtoken', owner.token.slice(0, -3) + 'abc', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.']) {
      const res = await stack.request('GET', '/api/auth/me', { token });
      expect(res.status).toBe(401);
      expect(errorOf(res).code).toBe('unauthorized');
    }
  });

  it('user management is for admins only', async () => {
    await expectStatus('owner', 'GET', () => '/api/users', 403, 'forbidden');
    await expectStatus('owner', 'POST', () => '/api/users', 403, 'forbidden', { email: 'x@example.com', password: 'password1', role: 'admin' });
    await expectStatus('owner', 'PATCH', () => `/api/users/${other.id}`, 403, 'forbidden', { role: 'admin' });
    await expectStatus('owner', 'DELETE', () => `/api/users/${other.id}`, 403, 'forbidden');
    const list = await expectStatus<Page<UserDto>>('admin', 'GET', () => '/api/users', 200);
    expect(list.body.items.map((u: { email: string }) => u.email)).toContain(owner.email);
    for (const u of list.body.items) {
      expect(Object.keys(u).sort()).toEqual(['createdAt', 'disabled', 'email', 'id', 'name', 'role']);
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

  it('admin-only job types: users can neither create them nor change their params per run', async () => {
    await expectStatus('owner', 'POST', () => '/api/jobs', 403, 'forbidden', { name: 'sh', type: 'shell', params: { script: 'id' } });
    await expectStatus('owner', 'POST', () => `/api/jobs/${adminJobId}/runs`, 403, 'forbidden', { params: { script: 'rm -rf /' } });
    const plain = await expectStatus<RunDto>('owner', 'POST', () => `/api/jobs/${adminJobId}/runs`, 201, undefined, {});
    expect(plain.body.params).toEqual({ script: 'true' });
    await expectStatus('owner', 'POST', () => `/api/runs/${plain.body.id}/rerun`, 403, 'forbidden', { params: { script: 'id' } });
    await expectStatus('admin', 'POST', () => `/api/runs/${plain.body.id}/cancel`, 202);
  });

  it('cancel: the job owner, the user who started the run, or an admin; never anyone else', async () => {
    const startedByOther = await expectStatus<RunDto>('other', 'POST', () => `/api/jobs/${jobId}/runs`, 201, undefined, {});
    const third = await stack.createUser();
    const res = await stack.request<RunDto>('POST', `/api/runs/${startedByOther.body.id}/cancel`, { token: third.token });
    expect(res.status).toBe(403);
    const byStarter = await expectStatus<RunDto>('other', 'POST', () => `/api/runs/${startedByOther.body.id}/cancel`, 202);
    expect(byStarter.body.status).toBe('cancelled');
    await expectStatus('owner', 'POST', () => `/api/runs/${startedByOther.body.id}/cancel`, 409, 'conflict');
    await expectStatus('owner', 'POST', () => `/api/runs/${runId}/cancel`, 202);
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
    const me = await stack.request('GET', '/api/auth/me', { token: user.token });
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
