import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QueueDto } from '@jobflow/shared';
import { startStack, type Stack } from '../support/stack';

let stack: Stack;

// No worker: what is started stays queued.
beforeAll(async () => {
  stack = await startStack({ workers: 0 });
});
afterAll(() => stack?.stop());

const queue = async (token = stack.admin.token) => {
  const res = await stack.request<QueueDto>('GET', '/api/queue', { token });
  expect(res.status).toBe(200);
  return res.body;
};

describe('GET /api/queue', () => {
  it('is empty with nothing queued', async () => {
    expect(await queue()).toEqual({ queued: 0, oldestQueuedAt: null, jobs: [] });
  });

  it('counts queued runs in all and per job, the job with the longest-waiting run first, and follows cancels and ends', async () => {
    const early = await stack.createJob({ name: 'waits long', type: 'sleep', params: { seconds: 0 } });
    const late = await stack.createJob({ name: 'waits briefly', type: 'sleep', params: { seconds: 0 } });
    const done = await stack.createJob({ name: 'finished', type: 'sleep', params: { seconds: 0 } });
    const lateRuns = [await stack.startRun(late.id), await stack.startRun(late.id)];
    const earlyRun = await stack.startRun(early.id);
    const finished = await stack.startRun(done.id);
    await stack.sql(`update runs set queued_at = now() - interval '10 minutes' where id = $1`, [earlyRun.id]);
    await stack.sql(`update runs set status = 'cancelled', finished_at = now() where id = $1`, [finished.id]);
    const oldestRows = await stack.sql<{ queued_at: string }>(
      `select to_char(queued_at at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as queued_at from runs where id = $1`,
      [earlyRun.id],
    );
    const oldest = oldestRows[0]!.queued_at;

    const user = await stack.createUser();
    const body = await queue(user.token);
    expect(body.queued).toBe(3);
    expect(body.oldestQueuedAt).toBe(oldest);
    expect(body.jobs).toEqual([
      { jobId: early.id, jobName: 'waits long', queued: 1, oldestQueuedAt: oldest },
      { jobId: late.id, jobName: 'waits briefly', queued: 2, oldestQueuedAt: lateRuns[0]!.queuedAt },
    ]);

    expect((await stack.request('POST', `/api/runs/${earlyRun.id}/cancel`, { token: stack.admin.token })).status).toBe(202);
    const after = await queue();
    expect(after.queued).toBe(2);
    expect(after.oldestQueuedAt).toBe(lateRuns[0]!.queuedAt);
    expect(after.jobs.map((j) => j.jobId)).toEqual([late.id]);
  });

  it('needs a signed-in caller', async () => {
    expect((await stack.request('GET', '/api/queue')).status).toBe(401);
  });
});
