import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntryDto, JobDto, Page, RunDto } from '@jobflow/shared';
import { errorOf, startStack, type Stack, type TestUser } from '../support/stack';
import { DISABLED_SCHEDULER, allFires, fakeScheduler, setScheduleSince, type FakeScheduler } from '../schedules/fake-scheduler';

// The stack's worker schedules nothing (and runs nothing): the scheduler here runs on a clock the test moves.
let stack: Stack;
let clock: FakeScheduler;
let owner: TestUser;
beforeAll(async () => {
  stack = await startStack({ workers: 0, worker: DISABLED_SCHEDULER });
  clock = await fakeScheduler(stack, { graceMs: 60 * 60_000 });
  owner = await stack.createUser();
});
afterAll(async () => {
  await clock?.close();
  await stack?.stop();
});

const hourly = async (name: string, since: string) => {
  const res = await stack.request<JobDto>('POST', '/api/jobs', {
    token: stack.admin.token,
    body: { name, type: 'sleep', params: { seconds: 0 }, schedule: { cron: '0 * * * *', timezone: 'UTC' } },
  });
  expect(res.status).toBe(201);
  // Disabling `owner` ends their sessions, so an admin makes the job and gives it to them.
  expect((await stack.request<JobDto>('PATCH', `/api/jobs/${res.body.id}`, { token: stack.admin.token, body: { ownerId: owner.id } })).status).toBe(200);
  await setScheduleSince(stack, res.body.id, since);
  return res.body.id as string;
};
const setDisabled = async (id: string, disabled: boolean) =>
  expect((await stack.request('PATCH', `/api/users/${id}`, { token: stack.admin.token, body: { disabled } })).status).toBe(200);
const runsOf = async (jobId: string) =>
  (await stack.request<Page<RunDto>>('GET', `/api/runs?jobId=${jobId}`, { token: stack.admin.token })).body.items.length as number;

describe("a disabled user's schedules pause", () => {
  it('records each due time as paused-owner-disabled and starts nothing, until the owner is re-enabled', async () => {
    const jobId = await hourly('owner leaves', '2026-06-01T00:00:00Z');
    await clock.at('2026-06-01T01:00:01Z');
    await setDisabled(owner.id, true);
    await clock.at('2026-06-01T02:00:01Z');
    await clock.at('2026-06-01T03:00:01Z');
    await setDisabled(owner.id, false);
    await clock.at('2026-06-01T04:00:01Z');

    const fires = await allFires(stack, jobId);
    expect(fires.map((f) => [f.dueAt, f.outcome])).toEqual([
      ['2026-06-01T01:00:00.000Z', 'started'],
      ['2026-06-01T02:00:00.000Z', 'paused-owner-disabled'],
      ['2026-06-01T03:00:00.000Z', 'paused-owner-disabled'],
      ['2026-06-01T04:00:00.000Z', 'started'],
    ]);
    expect(fires.filter((f) => f.outcome === 'paused-owner-disabled').every((f) => f.runId === null)).toBe(true);
    expect(await runsOf(jobId)).toBe(2);
  });

  it('an admin gives the job to an enabled user (never to a disabled one) and it runs again; only admins may', async () => {
    const jobId = await hourly('handed over', '2026-06-02T00:30:00Z');
    const heir = await stack.createUser();
    const gone = await stack.createUser();
    await setDisabled(gone.id, true);
    await setDisabled(owner.id, true);
    await clock.at('2026-06-02T01:00:01Z');

    const toDisabled = await stack.request<JobDto>('PATCH', `/api/jobs/${jobId}`, { token: stack.admin.token, body: { ownerId: gone.id } });
    expect(toDisabled.status).toBe(422);
    expect(errorOf(toDisabled).details[0]?.path).toBe('/ownerId');
    const toNobody = await stack.request<JobDto>('PATCH', `/api/jobs/${jobId}`, {
      token: stack.admin.token,
      body: { ownerId: '00000000-0000-0000-0000-000000000000' },
    });
    expect(toNobody.status).toBe(422);
    const byUser = await stack.request<JobDto>('PATCH', `/api/jobs/${jobId}`, { token: heir.token, body: { ownerId: heir.id } });
    expect(byUser.status).toBe(403);

    const handed = await stack.request<JobDto>('PATCH', `/api/jobs/${jobId}`, { token: stack.admin.token, body: { ownerId: heir.id } });
    expect(handed.status).toBe(200);
    expect(handed.body.ownerId).toBe(heir.id);
    await clock.at('2026-06-02T02:00:01Z');

    const fires = await allFires(stack, jobId);
    expect(fires.map((f) => f.outcome)).toEqual(['paused-owner-disabled', 'started']);
    // The new owner may now change it; the audit log says who handed it over, from whom to whom.
    expect((await stack.request<JobDto>('PATCH', `/api/jobs/${jobId}`, { token: heir.token, body: { description: 'mine now' } })).status).toBe(200);
    const audit = await stack.request<Page<AuditEntryDto>>('GET', `/api/audit?targetType=job&targetId=${jobId}&action=job.changed`, {
      token: stack.admin.token,
    });
    expect(audit.body.items.map((e) => e.changes?.ownerId)).toContainEqual({ before: owner.id, after: heir.id });
    await setDisabled(owner.id, false);
  });
});
