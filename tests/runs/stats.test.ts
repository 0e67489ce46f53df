import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunDto, RunStatsDto } from '@jobflow/shared';
import { startStack, type Stack } from '../support/stack';
import { collectRun, subscribe } from '../support/live';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.stop());

describe('GET /api/runs/stats', () => {
  it('counts active runs now and finished runs per hour', async () => {
    const token = stack.admin.token;
    const empty = await stack.request<RunStatsDto>('GET', '/api/runs/stats', { token });
    expect(empty.status).toBe(200);
    expect(empty.body.hourly).toHaveLength(24);
    expect(empty.body.finished).toEqual({ succeeded: 0, failed: 0, cancelled: 0 });

    const job = await stack.createJob({ name: 'stats', type: 'shell', params: { script: 'exit 0' } });
    const socket = stack.connect(token);
    const watch = collectRun(socket);
    await subscribe(socket, { topic: 'job', jobId: job.id });
    const start = async (script: string) => (await stack.startRun(job.id, { params: { script } })).id;
    const ids = [await start('exit 0'), await start('exit 0'), await start('exit 1')];
    await Promise.all(ids.map((id) => watch.untilFinal(id)));
    const slow = await start('sleep 30');
    await watch.untilStatus(slow, 'running');

    const stats = (await stack.request<RunStatsDto>('GET', '/api/runs/stats?hours=3', { token })).body;
    expect(stats.hourly).toHaveLength(3);
    expect(stats.finished).toEqual({ succeeded: 2, failed: 1, cancelled: 0 });
    expect(stats.active).toEqual({ queued: 0, running: 1 });
    expect(stats.hourly[2]).toMatchObject({ succeeded: 2, failed: 1, cancelled: 0 });
    expect(Date.parse(stats.since)).toBeLessThanOrEqual(Date.now() - 2 * 3600_000);
    await stack.request<RunDto>('POST', `/api/runs/${slow}/cancel`, { token });
    await watch.untilFinal(slow);

    for (const hours of ['0', '745', 'x']) {
      expect((await stack.request('GET', `/api/runs/stats?hours=${hours}`, { token })).status).toBe(400);
    }
    expect((await stack.request('GET', '/api/runs/stats')).status).toBe(401);
  });
});
