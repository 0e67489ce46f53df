import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack, type TestUser } from '../support/stack';
import { collectRun, subscribe } from '../support/live';

let stack: Stack;
let user: TestUser;
beforeAll(async () => {
  stack = await startStack();
  user = await stack.createUser('user');
});
afterAll(() => stack.stop());

const get = (path: string, token = stack.admin.token) => stack.request('GET', path, { token });

describe('attempts and params of a run', () => {
  it('records each attempt with its worker, times and outcome, and the wait before a retry', async () => {
    const token = stack.admin.token;
    const script = 'if [ "$JOBFLOW_ATTEMPT" -lt 2 ]; then exit 4; fi; echo ok';
    const job = (await stack.request('POST', '/api/jobs', { token, body: { name: 'flaky', type: 'shell', params: { script }, maxAttempts: 3 } })).body;
    const socket = stack.connect(token);
    const watch = collectRun(socket);
    await subscribe(socket, { topic: 'job', jobId: job.id });
    const run = (await stack.request('POST', `/api/jobs/${job.id}/runs`, { token })).body;
    expect(run.paramsChanged).toBe(false);
    expect(run.retryAt).toBeNull();
    await watch.untilFinal(run.id);
    const retrying = watch.updates(run.id).find((r) => r.status === 'queued' && r.attempt === 2)!;
    expect(Date.parse(retrying.retryAt ?? '')).toBeGreaterThan(Date.parse(retrying.queuedAt));

    const attempts = (await get(`/api/runs/${run.id}/attempts`)).body.items;
    expect(attempts).toHaveLength(2);
    expect(attempts[0]).toMatchObject({ attempt: 1, outcome: 'retried', error: { code: 'handler_error', message: 'the script exited with code 4' } });
    expect(attempts[1]).toMatchObject({ attempt: 2, outcome: 'succeeded', error: null });
    for (const a of attempts) {
      expect(a.workerId).toBe(stack.workers[0]!.workerId);
      expect(Date.parse(a.finishedAt)).toBeGreaterThanOrEqual(Date.parse(a.startedAt));
    }
    expect(Date.parse(attempts[1].startedAt)).toBeGreaterThanOrEqual(Date.parse(attempts[0].finishedAt));
    expect((await get('/api/runs/00000000-0000-0000-0000-000000000000/attempts')).status).toBe(404);
  });

  it('marks a run whose params differ from its job’s, and only such a run', async () => {
    const token = stack.admin.token;
    const job = (await stack.request('POST', '/api/jobs', { token, body: { name: 'nap', type: 'sleep', params: { seconds: 0 } } })).body;
    const same = (await stack.request('POST', `/api/jobs/${job.id}/runs`, { token, body: { params: { seconds: 0 } } })).body;
    const changed = (await stack.request('POST', `/api/jobs/${job.id}/runs`, { token, body: { params: { seconds: 0.01 } } })).body;
    expect(same.paramsChanged).toBe(false);
    expect(changed.paramsChanged).toBe(true);
    expect((await get(`/api/runs/${changed.id}`)).body.paramsChanged).toBe(true);
  });
});

describe('GET /api/runs filters', () => {
  it('narrows by status, job type, trigger, who started, time and text; a bad filter is a 400', async () => {
    const token = stack.admin.token;
    const shell = (await stack.request('POST', '/api/jobs', { token, body: { name: 'report-alpha', type: 'shell', params: { script: 'exit 1' } } })).body;
    const sleep = (await stack.request('POST', '/api/jobs', { token, body: { name: 'nap-beta', type: 'sleep', params: { seconds: 0 } } })).body;
    const socket = stack.connect(token);
    const watch = collectRun(socket);
    await subscribe(socket, { topic: 'dashboard' });
    const failed = (await stack.request('POST', `/api/jobs/${shell.id}/runs`, { token })).body.id as string;
    const byUser = (await stack.request('POST', `/api/jobs/${sleep.id}/runs`, { token: user.token })).body.id as string;
    await Promise.all([watch.untilFinal(failed), watch.untilFinal(byUser)]);
    // An old failure: it failed, but not in the last 24 h.
    const db = new pg.Client({ connectionString: stack.databaseUrl });
    await db.connect();
    const old = (await stack.request('POST', `/api/jobs/${shell.id}/runs`, { token })).body.id as string;
    await watch.untilFinal(old);
    await db.query(
      `update runs set queued_at = now() - interval '3 days', started_at = now() - interval '3 days', finished_at = now() - interval '3 days' where id = $1`,
      [old],
    );
    await db.end();

    const ids = async (query: string) => ((await get(`/api/runs?${query}`)).body.items as { id: string }[]).map((r) => r.id);
    const dayAgo = new Date(Date.now() - 24 * 3600_000).toISOString();
    expect(await ids(`status=failed&finishedSince=${dayAgo}`)).toEqual([failed]);
    expect(new Set(await ids('status=failed'))).toEqual(new Set([failed, old]));
    expect(await ids('type=sleep&q=beta')).toEqual([byUser]);
    expect(await ids('type=shell&q=beta')).toEqual([]);
    expect(await ids(`userId=${user.id}`)).toEqual([byUser]);
    expect(await ids('trigger=manual&q=alpha')).toEqual([failed, old]);
    expect(await ids('trigger=schedule&q=alpha')).toEqual([]);
    expect(await ids(`q=${byUser.slice(0, 8)}`)).toEqual([byUser]);
    expect(await ids(`until=${dayAgo}`)).toEqual([old]);
    expect(new Set(await ids('status=succeeded,failed&q=-'))).toEqual(new Set([failed, old, byUser]));
    for (const bad of ['status=done', 'trigger=cron', 'userId=me', 'since=yesterday', 'jobId=x']) {
      const res = await get(`/api/runs?${bad}`);
      expect(res.status, bad).toBe(400);
      expect(res.body.error.code).toBe('bad_request');
    }
  });
});

describe('GET /api/people and the full log download', () => {
  it('names users for everyone signed in', async () => {
    const me = (await get('/api/auth/me', user.token)).body.user;
    const named = (await get(`/api/people?ids=${stack.admin.id},${user.id}`, user.token)).body.items;
    expect(named).toEqual(
      expect.arrayContaining([
        { id: user.id, name: me.name },
        { id: stack.admin.id, name: 'Admin' },
      ]),
    );
    expect((await get('/api/people', user.token)).body.items.length).toBeGreaterThanOrEqual(2);
    expect((await get('/api/people?ids=nope', user.token)).status).toBe(400);
    expect((await stack.request('GET', '/api/people')).status).toBe(401);
  });

  it('gives each line its time and stream in the full format', async () => {
    const token = stack.admin.token;
    const job = (await stack.request('POST', '/api/jobs', { token, body: { name: 'talk', type: 'shell', params: { script: 'echo out; echo err >&2' } } })).body;
    const socket = stack.connect(token);
    const watch = collectRun(socket);
    await subscribe(socket, { topic: 'job', jobId: job.id });
    const run = (await stack.request('POST', `/api/jobs/${job.id}/runs`, { token })).body.id as string;
    await watch.untilFinal(run);
    const text = (await get(`/api/runs/${run}/logs.txt`)).body as string;
    expect(text.split('\n').filter(Boolean).sort()).toEqual(['err', 'out']);
    const full = ((await get(`/api/runs/${run}/logs.txt?format=full`)).body as string).split('\n').filter(Boolean);
    expect(full.find((l) => l.endsWith(' err'))).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z stderr err$/);
    expect(full.find((l) => l.endsWith(' out'))).toMatch(/Z stdout out$/);
    expect((await get(`/api/runs/${run}/logs.txt?format=xml`)).status).toBe(400);
  });
});
