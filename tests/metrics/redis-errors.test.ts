import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../support/stack';
import { valueOf } from '../support/metrics';
import { until } from '../support/processes';
import { startStackOnOwnRedis } from '../support/redis-server';

/** A server and a worker whose Redis goes away: each counts the errors of its connections, and readiness says so. */
let own: Awaited<ReturnType<typeof startStackOnOwnRedis>>;
let stack: Stack;

beforeAll(async () => {
  own = await startStackOnOwnRedis();
  stack = own.stack;
});
afterAll(() => own.stop());

describe('jobflow_redis_errors_total', { timeout: 120_000 }, () => {
  it('grows on the server and on the worker while Redis is unreachable, and not before', async () => {
    const errorsOf = async (metrics: { render(): Promise<string> }) => valueOf(await metrics.render(), 'jobflow_redis_errors_total');
    const processes = { server: stack.app.deps.metrics, worker: stack.workers[0]!.metrics };
    for (const metrics of Object.values(processes)) expect(await errorsOf(metrics)).toBe(0);
    expect((await stack.workers[0]!.readiness()).status).toBe(200);

    await own.killRedis();
    for (const [name, metrics] of Object.entries(processes)) {
      await until(async () => ((await errorsOf(metrics)) ?? 0) > 0, `the ${name} to count Redis errors`);
    }
    expect((await stack.request('GET', '/readyz')).body).toMatchObject({ redis: 'down', postgres: 'up' });
    expect(await stack.workers[0]!.readiness()).toMatchObject({ status: 503, body: { redis: 'down', postgres: 'up' } });

    await own.startRedis();
    await until(async () => (await stack.workers[0]!.readiness()).status === 200, 'the worker to see Redis again');
  });
});
