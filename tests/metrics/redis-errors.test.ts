import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../support/stack';
import { valueOf } from '../support/metrics';
import { freePort, until } from '../support/processes';
import { startRedisServer } from '../support/redis-server';

/** A server and a worker whose Redis goes away: each counts the errors of its connections, and readiness says so. */
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

describe('jobflow_redis_errors_total', { timeout: 120_000 }, () => {
  it('grows on the server and on the worker while Redis is unreachable, and not before', async () => {
    const errorsOf = async (metrics: { render(): Promise<string> }) => valueOf(await metrics.render(), 'jobflow_redis_errors_total');
    const processes = { server: stack.app.deps.metrics, worker: stack.workers[0]!.metrics };
    for (const metrics of Object.values(processes)) expect(await errorsOf(metrics)).toBe(0);
    expect((await stack.workers[0]!.readiness()).status).toBe(200);

    await redis.kill();
    for (const [name, metrics] of Object.entries(processes)) {
      await until(async () => ((await errorsOf(metrics)) ?? 0) > 0, `the ${name} to count Redis errors`);
    }
    expect((await stack.request('GET', '/readyz')).body).toMatchObject({ redis: 'down', postgres: 'up' });
    expect(await stack.workers[0]!.readiness()).toMatchObject({ status: 503, body: { redis: 'down', postgres: 'up' } });

    redis = await startRedisServer(port);
    await until(async () => (await stack.workers[0]!.readiness()).status === 200, 'the worker to see Redis again');
  });
});
