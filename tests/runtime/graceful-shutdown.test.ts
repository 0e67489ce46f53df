import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunDto } from '@jobflow/shared';
import { startStack, type Stack } from '../support/stack';
import { freePort, spawnServer, spawnWorker, until } from '../support/processes';

/**
 * What a load balancer and an orchestrator see when a process is told to stop:
 * readiness fails first, while the process still does its work, then it exits
 * cleanly.
 */
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ workers: 0 });
});
afterAll(async () => {
  await stack?.stop();
});

const exitOf = (proc: { child: { exitCode: number | null; once(event: 'exit', fn: (code: number | null) => void): unknown } }) =>
  new Promise<number | null>((resolve) => (proc.child.exitCode !== null ? resolve(proc.child.exitCode) : proc.child.once('exit', resolve)));

describe('graceful shutdown', { timeout: 180_000 }, () => {
  it('a server given SIGTERM fails /readyz at once, serves requests for SHUTDOWN_DELAY_MS, then exits 0', async () => {
    const server = await spawnServer({ ...stack.env, SHUTDOWN_DELAY_MS: '6000', LOG_LEVEL: 'info' });
    const exited = exitOf(server);
    const me = () => fetch(`${server.url}/api/auth/me`, { headers: { authorization: `Bearer ${stack.admin.token}` } });
    expect((await me()).status).toBe(200);

    server.child.kill('SIGTERM');
    await until(async () => (await fetch(`${server.url}/readyz`)).status === 503, `/readyz to answer 503\n${server.output()}`, 5000);
    const readiness = await fetch(`${server.url}/readyz`);
    expect(await readiness.json()).toMatchObject({ error: { code: 'unavailable', message: 'Not ready: the server is shutting down.' }, draining: true });

    // Still serving while the load balancer takes it out, and telling keep-alive clients to go elsewhere.
    const answered = await me();
    expect(answered.status).toBe(200);
    expect(answered.headers.get('connection')).toBe('close');
    expect((await answered.json()).user.email).toBe(stack.admin.email);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect(server.child.exitCode).toBeNull();

    expect(await exited, server.output()).toBe(0);
    await server.stop();
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
    // A clean shutdown is not a problem: nothing at warn or error level.
    const lines = server
      .output()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { level: string; msg: string });
    expect(lines.filter((l) => l.level === 'warn' || l.level === 'error')).toEqual([]);
    expect(lines.map((l) => l.msg)).toContain('SIGTERM: not ready any more; closing in 6000 ms');
  });

  it('a worker given SIGTERM fails /readyz while it lets its running run finish, then exits 0', async () => {
    const healthPort = await freePort();
    const health = `http://127.0.0.1:${healthPort}`;
    const worker = await spawnWorker({ ...stack.env, HEALTH_PORT: String(healthPort), SHUTDOWN_GRACE_MS: '20000' }, 'draining-worker');
    const exited = exitOf(worker);
    await until(async () => (await fetch(`${health}/readyz`)).ok, `the worker's /readyz\n${worker.output()}`);
    expect(await (await fetch(`${health}/readyz`)).json()).toEqual({ status: 'ready', postgres: 'up', redis: 'up' });

    const token = stack.admin.token;
    const job = (await stack.request('POST', '/api/jobs', { token, body: { name: 'drain', type: 'sleep', params: { seconds: 3 } } })).body as { id: string };
    const run = (await stack.request('POST', `/api/jobs/${job.id}/runs`, { token, body: {} })).body as RunDto;
    const statusOf = async () => (await stack.request('GET', `/api/runs/${run.id}`, { token })).body as RunDto;
    await until(async () => (await statusOf()).status === 'running', 'the run to start');

    worker.child.kill('SIGTERM');
    await until(async () => (await fetch(`${health}/readyz`)).status === 503, `the worker's /readyz to answer 503\n${worker.output()}`, 5000);
    expect(await (await fetch(`${health}/readyz`)).json()).toMatchObject({ error: { message: 'Not ready: the worker is shutting down.' }, draining: true });
    expect((await fetch(`${health}/healthz`)).status).toBe(200);
    expect(worker.child.exitCode).toBeNull();

    expect(await exited, worker.output()).toBe(0);
    await worker.stop();
    expect(await statusOf()).toMatchObject({ status: 'succeeded', attempt: 1 });
  });
});
