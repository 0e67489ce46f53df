import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobDto, Page, RunDto } from '@jobflow/shared';
import { startStack, type Stack } from '../support/stack';
import { allFires } from './fake-scheduler';
import { waitFor } from '../support/wait';

// Two workers, each with its own scheduler on the real clock.
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ workers: 2 });
});
afterAll(() => stack?.stop());

const SECOND = 1000;

describe('a schedule every second with two schedulers', () => {
  it('starts exactly one run per due time, with no due time lost; pausing stops it and resuming picks up after the resume', async () => {
    const created = await stack.request<JobDto>('POST', '/api/jobs', {
      token: stack.admin.token,
      body: { name: 'every-second', type: 'sleep', params: { seconds: 0 }, schedule: { cron: '* * * * * *', timezone: 'UTC' } },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const jobId = created.body.id as string;

    await waitFor(async () => (await allFires(stack, jobId)).length >= 6, 'six due times');
    const paused = await stack.request<JobDto>('POST', `/api/jobs/${jobId}/schedule/pause`, { token: stack.admin.token });
    expect(paused.status).toBe(200);
    expect(paused.body.schedulePaused).toBe(true);
    expect(paused.body.schedule).toEqual({ cron: '* * * * * *', timezone: 'UTC' });
    const pausedAt = Date.parse(paused.body.updatedAt);
    const beforeResume = await allFires(stack, jobId);

    // Let due times pass while paused, then resume.
    await new Promise((r) => setTimeout(r, 4 * SECOND));
    const resumed = await stack.request<JobDto>('POST', `/api/jobs/${jobId}/schedule/resume`, { token: stack.admin.token });
    expect(resumed.status).toBe(200);
    expect(resumed.body.schedulePaused).toBe(false);
    const resumedAt = Date.parse(resumed.body.updatedAt);
    await waitFor(async () => (await allFires(stack, jobId)).length >= beforeResume.length + 3, 'three due times after resuming');
    await stack.request<JobDto>('PATCH', `/api/jobs/${jobId}`, { token: stack.admin.token, body: { schedulePaused: true } });

    const fires = await allFires(stack, jobId);
    const times = fires.map((f) => Date.parse(f.dueAt));
    // Nothing recorded for the paused span (give or take the second around each change); every second recorded on each side of it.
    expect(times.filter((t) => t > pausedAt + SECOND && t < resumedAt - SECOND)).toEqual([]);
    for (const side of [times.filter((t) => t <= pausedAt + SECOND), times.filter((t) => t >= resumedAt - SECOND)]) {
      expect(side.length).toBeGreaterThanOrEqual(3);
      side.forEach((t, i) => i > 0 && expect(t - side[i - 1]!).toBe(SECOND));
    }
    expect(new Set(times).size).toBe(times.length);
    expect(fires.every((f) => f.outcome === 'started' && f.runId !== null)).toBe(true);

    // One run per due time: the runs of the job are exactly the runs the due times started.
    const runs = await stack.request<Page<RunDto>>('GET', `/api/runs?jobId=${jobId}&limit=200`, { token: stack.admin.token });
    expect(runs.body.items.length).toBe(fires.length);
    expect(new Set(runs.body.items.map((r: { id: string }) => r.id))).toEqual(new Set(fires.map((f) => f.runId)));
    expect(runs.body.items.every((r: { trigger: { kind: string; userId: string | null } }) => r.trigger.kind === 'schedule' && r.trigger.userId === null)).toBe(
      true,
    );
  });
});
