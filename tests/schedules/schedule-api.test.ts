import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobDto, ScheduleNextDto } from '@jobflow/shared';
import { errorOf, startStack, type Stack } from '../support/stack';
import { DISABLED_SCHEDULER } from './fake-scheduler';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ worker: DISABLED_SCHEDULER });
});
afterAll(() => stack?.stop());

const base = { type: 'sleep', params: { seconds: 0 } };
const post = (body: unknown, token = stack.admin.token) => stack.request<JobDto>('POST', '/api/jobs', { token, body });

describe('schedule validation', () => {
  it.each([
    [{ cron: 'every day', timezone: 'UTC' }, '/schedule/cron'],
    [{ cron: '61 * * * *', timezone: 'UTC' }, '/schedule/cron'],
    [{ cron: '* * * * * * * *', timezone: 'UTC' }, '/schedule/cron'],
    [{ cron: '0 3 * * *', timezone: 'Mars/Olympus_Mons' }, '/schedule/timezone'],
  ])('refuses %j with 422 naming %s', async (schedule, path) => {
    const created = await post({ ...base, name: 'bad', schedule });
    expect(created.status).toBe(422);
    expect(errorOf(created).code).toBe('validation_failed');
    expect(errorOf(created).details.map((d: { path: string }) => d.path)).toContain(path);

    const job = await post({ ...base, name: 'ok' });
    const patched = await stack.request<JobDto>('PATCH', `/api/jobs/${job.body.id}`, { token: stack.admin.token, body: { schedule } });
    expect(patched.status).toBe(422);
    expect(errorOf(patched).details.map((d: { path: string }) => d.path)).toContain(path);
  });

  it('refuses unknown policies, and overlap "queue" with more than one run at a time', async () => {
    const bad = await post({ ...base, name: 'bad', schedule: { cron: '0 * * * *', timezone: 'UTC' }, schedulePolicy: { overlap: 'sometimes' } });
    expect(bad.status).toBe(422);
    expect(errorOf(bad).details[0]?.path).toBe('/schedulePolicy/overlap');

    const many = await post({ ...base, name: 'bad', schedulePolicy: { overlap: 'queue' }, maxConcurrentRuns: 3 });
    expect(many.status).toBe(422);
    expect(errorOf(many).details[0]?.path).toBe('/maxConcurrentRuns');

    const queued = await post({ ...base, name: 'queue', schedule: { cron: '0 * * * *', timezone: 'UTC' }, schedulePolicy: { overlap: 'queue' } });
    expect(queued.status).toBe(201);
    expect(queued.body.maxConcurrentRuns).toBe(1);
    expect(queued.body.schedulePolicy).toEqual({ overlap: 'queue', missed: 'skip' });
  });
});

describe('schedule fields and endpoints', () => {
  it('a new job has the default policy, is not paused, and has no notifications', async () => {
    const job = await post({ ...base, name: 'defaults', schedule: { cron: '0 3 * * *', timezone: 'Europe/Paris' } });
    expect(job.status).toBe(201);
    expect(job.body).toMatchObject({ schedulePolicy: { overlap: 'allow', missed: 'skip' }, schedulePaused: false, notifications: [] });
  });

  it('PATCH changes one policy field and keeps the other', async () => {
    const job = await post({
      ...base,
      name: 'policy',
      schedule: { cron: '0 3 * * *', timezone: 'UTC' },
      schedulePolicy: { overlap: 'skip', missed: 'run-once' },
    });
    const patched = await stack.request<JobDto>('PATCH', `/api/jobs/${job.body.id}`, {
      token: stack.admin.token,
      body: { schedulePolicy: { overlap: 'allow' } },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.schedulePolicy).toEqual({ overlap: 'allow', missed: 'run-once' });
  });

  it('pause and resume keep the definition; next due times are empty while paused', async () => {
    const job = await post({ ...base, name: 'pausable', schedule: { cron: '15 9 * * 1-5', timezone: 'Asia/Tokyo' }, schedulePolicy: { overlap: 'skip' } });
    const next = await stack.request<ScheduleNextDto>('GET', `/api/jobs/${job.body.id}/schedule/next`, { token: stack.admin.token });
    expect(next.status).toBe(200);
    expect(next.body.items).toHaveLength(5);
    expect(next.body.items.every((i) => /T09:15:00\+09:00$/.test(i.local))).toBe(true);

    const paused = await stack.request<JobDto>('POST', `/api/jobs/${job.body.id}/schedule/pause`, { token: stack.admin.token });
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({
      schedulePaused: true,
      schedule: { cron: '15 9 * * 1-5', timezone: 'Asia/Tokyo' },
      schedulePolicy: { overlap: 'skip' },
    });
    const whilePaused = await stack.request('GET', `/api/jobs/${job.body.id}/schedule/next?count=3`, { token: stack.admin.token });
    expect(whilePaused.body).toEqual({ timezone: 'Asia/Tokyo', paused: true, items: [] });

    const resumed = await stack.request<JobDto>('POST', `/api/jobs/${job.body.id}/schedule/resume`, { token: stack.admin.token });
    expect(resumed.body).toMatchObject({ schedulePaused: false, schedule: { cron: '15 9 * * 1-5', timezone: 'Asia/Tokyo' } });
    const again = await stack.request<ScheduleNextDto>('GET', `/api/jobs/${job.body.id}/schedule/next?count=2`, { token: stack.admin.token });
    expect(again.body.items).toHaveLength(2);
  });

  it('pause and resume with If-Match: a job changed meanwhile is a 412 and stays as it is; its current version goes through', async () => {
    const job = (await post({ ...base, name: 'versioned', schedule: { cron: '0 * * * *', timezone: 'UTC' } })).body;
    const changed = await stack.request<JobDto>('PATCH', `/api/jobs/${job.id}`, { token: stack.admin.token, body: { description: 'changed meanwhile' } });
    const pauseAt = (version: number) =>
      stack.request<JobDto>('POST', `/api/jobs/${job.id}/schedule/pause`, { token: stack.admin.token, headers: { 'if-match': `"${version}"` } });
    const stale = await pauseAt(job.version);
    expect(stale.status).toBe(412);
    expect(errorOf(stale).code).toBe('precondition_failed');
    expect((await stack.request<JobDto>('GET', `/api/jobs/${job.id}`, { token: stack.admin.token })).body).toMatchObject({
      schedulePaused: false,
      version: changed.body.version,
    });
    const paused = await pauseAt(changed.body.version);
    expect(paused.body).toMatchObject({ schedulePaused: true, version: changed.body.version + 1 });
    const resumed = await stack.request<JobDto>('POST', `/api/jobs/${job.id}/schedule/resume`, {
      token: stack.admin.token,
      headers: { 'if-match': `"${changed.body.version}"` },
    });
    expect(resumed.status).toBe(412);
  });

  it('pausing a job without a schedule is a 409; other users may not pause it; bad ids and queries are refused', async () => {
    const job = await post({ ...base, name: 'unscheduled' });
    expect((await stack.request<JobDto>('POST', `/api/jobs/${job.body.id}/schedule/pause`, { token: stack.admin.token })).status).toBe(409);
    const scheduled = await post({ ...base, name: 'theirs', schedule: { cron: '0 * * * *', timezone: 'UTC' } });
    const user = await stack.createUser();
    const res = await stack.request<JobDto>('POST', `/api/jobs/${scheduled.body.id}/schedule/pause`, { token: user.token });
    expect(res.status).toBe(403);
    expect((await stack.request('GET', `/api/jobs/${scheduled.body.id}/schedule/fires`, { token: user.token })).status).toBe(200);
    expect((await stack.request('GET', '/api/jobs/nope/schedule/fires', { token: stack.admin.token })).status).toBe(404);
    expect((await stack.request('GET', `/api/jobs/${scheduled.body.id}/schedule/next?count=0`, { token: stack.admin.token })).status).toBe(400);
    expect((await stack.request('GET', `/api/jobs/${scheduled.body.id}/schedule/fires?cursor=zzz`, { token: stack.admin.token })).status).toBe(400);
    expect((await stack.request('GET', `/api/jobs/${scheduled.body.id}/schedule/fires`)).status).toBe(401);
  });
});
