import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isFinalStatus, type RunDto } from '@jobflow/shared';
import type { Stack } from '../support/stack';
import { subscribe } from '../support/live';
import { until } from '../support/processes';
import { startStackOnOwnRedis } from '../support/redis-server';

let own: Awaited<ReturnType<typeof startStackOnOwnRedis>>;
let stack: Stack;

beforeAll(async () => {
  own = await startStackOnOwnRedis();
  stack = own.stack;
});
afterAll(() => own.stop());

describe('Redis restarts with runs queued (it keeps nothing on disk)', { timeout: 180_000 }, () => {
  it('loses no run: the reconciler re-enqueues them and Bee-Queue reloads its scripts', async () => {
    const token = stack.admin.token;
    const job = await stack.createJob({ name: 'survivor', type: 'sleep', params: { seconds: 0.2 }, maxConcurrentRuns: 1 });
    const socket = stack.connect(token);
    const resyncs: unknown[] = [];
    socket.on('resync', (e) => resyncs.push(e));
    await subscribe(socket, { topic: 'job', jobId: job.id });
    const before: RunDto[] = [];
    for (let i = 0; i < 6; i++) before.push(await stack.startRun(job.id));

    await own.killRedis();
    await own.startRedis();

    await until(async () => (await stack.request('GET', '/readyz')).status === 200, 'the server to see Redis again');
    const after = await stack.startRun(job.id);
    await subscribe(socket, { topic: 'job', jobId: job.id });
    // Events of runs that ended while the live link was down are not replayed: the
    // `resync` tells a client to read the runs again, which is what this does.
    for (const run of [...before, after]) {
      let stored = run;
      await until(async () => isFinalStatus((stored = await stack.getRun(run.id)).status), `run ${run.id} to end`, 120_000);
      expect(stored.status).toBe('succeeded');
    }
    expect(resyncs.length).toBeGreaterThan(0);
  });
});
