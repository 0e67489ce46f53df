import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunDto } from '@jobflow/shared';
import { startStack, type Stack } from '../support/stack';
import { collectRun, subscribe } from '../support/live';
import { freePort, until } from '../support/processes';
import { startRedisServer } from '../support/redis-server';

let stack: Stack;
let redis: Awaited<ReturnType<typeof startRedisServer>>;
let port: number;

beforeAll(async () => {
  port = await freePort();
  redis = await startRedisServer(port);
  stack = await startStack({ redisUrl: `redis://127.0.0.1:${port}`, workers: 1 });
});
afterAll(async () => {
  await stack.stop();
  await redis.kill();
});

describe('Redis restarts with runs queued (it keeps nothing on disk)', { timeout: 180_000 }, () => {
  it('loses no run: the reconciler re-enqueues them and Bee-Queue reloads its scripts', async () => {
    const token = stack.admin.token;
    const job = (await stack.request('POST', '/api/jobs', { token, body: { name: 'survivor', type: 'sleep', params: { seconds: 0.2 }, maxConcurrentRuns: 1 } }))
      .body;
    const socket = stack.connect(token);
    const watch = collectRun(socket);
    const resyncs: unknown[] = [];
    socket.on('resync', (e) => resyncs.push(e));
    await subscribe(socket, { topic: 'job', jobId: job.id });
    const before: RunDto[] = [];
    for (let i = 0; i < 6; i++) before.push((await stack.request('POST', `/api/jobs/${job.id}/runs`, { token, body: {} })).body);

    await redis.kill();
    redis = await startRedisServer(port);

    await until(async () => (await stack.request('GET', '/readyz')).status === 200, 'the server to see Redis again');
    const after = (await stack.request('POST', `/api/jobs/${job.id}/runs`, { token, body: {} })).body as RunDto;
    await subscribe(socket, { topic: 'job', jobId: job.id });
    for (const run of [...before, after]) {
      const final = await watch.untilFinal(run.id, 60_000).catch(async (e) => {
        const stored = await stack.request('GET', `/api/runs/${run.id}`, { token });
        if (['succeeded'].includes(stored.body.status)) return stored.body as RunDto;
        throw e;
      });
      expect(final.status).toBe('succeeded');
    }
    expect(resyncs.length).toBeGreaterThan(0);
  });
});
