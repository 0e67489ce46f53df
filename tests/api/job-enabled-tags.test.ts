import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobDto, JobSummaryDto, Page, RunSummaryDto } from '@jobflow/shared';
import { errorOf, startStack, type Stack } from '../support/stack';
import { DISABLED_SCHEDULER, allFires, fakeScheduler, setScheduleSince, type FakeScheduler } from '../schedules/fake-scheduler';

let stack: Stack;
let clock: FakeScheduler;
beforeAll(async () => {
  stack = await startStack({ worker: DISABLED_SCHEDULER });
  clock = await fakeScheduler(stack, { graceMs: 60 * 60_000 });
});
afterAll(async () => {
  await clock?.close();
  await stack?.stop();
});

const get = <T>(path: string) => stack.request<T>('GET', path, { token: stack.admin.token });
const patch = (id: string, body: unknown) => stack.request<JobDto>('PATCH', `/api/jobs/${id}`, { token: stack.admin.token, body });

describe('job tags', () => {
  it('are stored as given (repeats dropped), shown on the job, and filter job and run lists', async () => {
    const nightly = await stack.createJob({ type: 'sleep', params: { seconds: 0 }, tags: ['nightly', 'team:data', 'nightly'] });
    const other = await stack.createJob({ type: 'sleep', params: { seconds: 0 }, tags: ['adhoc'] });
    expect(nightly.tags).toEqual(['nightly', 'team:data']);
    expect(nightly.enabled).toBe(true);
    const run = await stack.startRun(nightly.id);
    await stack.startRun(other.id);

    const jobs = await get<Page<JobSummaryDto>>('/api/jobs?tag=team:data');
    expect(jobs.body.items.map((j) => j.id)).toEqual([nightly.id]);
    const runs = await get<Page<RunSummaryDto>>('/api/runs?tag=nightly');
    expect(runs.body.items.map((r) => r.id)).toEqual([run.id]);

    expect((await patch(other.id, { tags: ['nightly'] })).body.tags).toEqual(['nightly']);
    expect((await get<Page<JobSummaryDto>>('/api/jobs?tag=nightly')).body.items.map((j) => j.id).sort()).toEqual([nightly.id, other.id].sort());
  });

  it('refuses a malformed tag with a 422 naming it, and a malformed tag filter with a 400, changing nothing', async () => {
    const job = await stack.createJob({ type: 'sleep', params: { seconds: 0 }, tags: ['kept'] });
    const bad = await patch(job.id, { tags: ['Has Space'] });
    expect(bad.status).toBe(422);
    expect(errorOf(bad).details.map((d) => d.path)).toEqual(['/tags/0']);
    expect((await get<JobDto>(`/api/jobs/${job.id}`)).body.tags).toEqual(['kept']);
    expect((await get('/api/runs?tag=NOT%20A%20TAG')).status).toBe(400);
    expect((await get('/api/jobs?enabled=maybe')).status).toBe(400);
  });
});

describe('enabling and disabling a job', () => {
  it('a disabled job cannot be run nor rerun (409 job_disabled) and is listed as disabled; enabled again, it runs', async () => {
    const job = await stack.createJob({ type: 'sleep', params: { seconds: 0 } });
    const earlier = await stack.startRun(job.id);
    const off = await patch(job.id, { enabled: false });
    expect(off.status).toBe(200);
    expect(off.body.enabled).toBe(false);

    for (const [path, body] of [
      [`/api/jobs/${job.id}/runs`, {}],
      [`/api/jobs/${job.id}/runs`, { params: { seconds: 1 } }],
      [`/api/runs/${earlier.id}/rerun`, {}],
    ] as const) {
      const refused = await stack.request('POST', path, { token: stack.admin.token, body });
      expect(refused.status, path).toBe(409);
      expect(errorOf(refused).code).toBe('job_disabled');
    }
    const runs = await get<Page<RunSummaryDto>>(`/api/runs?jobId=${job.id}`);
    expect(runs.body.items.map((r) => r.id)).toEqual([earlier.id]);
    expect((await get<Page<JobSummaryDto>>('/api/jobs?enabled=false')).body.items.map((j) => j.id)).toContain(job.id);
    expect((await get<Page<JobSummaryDto>>('/api/jobs?enabled=true')).body.items.map((j) => j.id)).not.toContain(job.id);

    await patch(job.id, { enabled: true });
    expect((await stack.request('POST', `/api/jobs/${job.id}/runs`, { token: stack.admin.token, body: {} })).status).toBe(201);
  });

  it('a disabled job fires nothing on its schedule; enabled again, due times count from then', async () => {
    const job = await stack.createJob({ type: 'sleep', params: { seconds: 0 }, schedule: { cron: '0 * * * *', timezone: 'UTC' } });
    await setScheduleSince(stack, job.id, '2026-09-01T00:00:00Z');
    await clock.at('2026-09-01T01:00:00.100Z');
    expect((await allFires(stack, job.id)).map((f) => f.dueAt)).toEqual(['2026-09-01T01:00:00.000Z']);

    await patch(job.id, { enabled: false });
    await clock.at('2026-09-01T02:00:00.100Z');
    await clock.at('2026-09-01T03:00:00.100Z');
    expect(await allFires(stack, job.id)).toHaveLength(1);

    await patch(job.id, { enabled: true });
    await setScheduleSince(stack, job.id, '2026-09-01T03:30:00Z');
    await clock.at('2026-09-01T04:00:00.100Z');
    expect((await allFires(stack, job.id)).map((f) => f.dueAt)).toEqual(['2026-09-01T01:00:00.000Z', '2026-09-01T04:00:00.000Z']);
  });
});
