import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobDto, RunDto } from '@jobflow/shared';
import { startStack, type Stack } from '../support/stack';
import { freePort, spawnServer, spawnWorker, until, type Proc } from '../support/processes';
import { startPrometheus, type Prometheus } from '../support/prometheus';

/**
 * Two server processes and two worker processes scraped by a real Prometheus
 * (with the metrics token), as an operator runs them: the cluster-wide sums
 * it computes match what happened.
 */
const METRICS_TOKEN = randomBytes(16).toString('hex');
const RUNS = 10;

let stack: Stack;
const servers: (Proc & { url: string })[] = [];
const workers: Proc[] = [];
let prometheus: Prometheus | undefined;

beforeAll(async () => {
  stack = await startStack({ workers: 0 });
  const env = { ...stack.env, METRICS_TOKEN };
  const healthPorts = [await freePort(), await freePort()];
  const started = await Promise.all([
    spawnServer(env),
    spawnServer(env),
    ...healthPorts.map((port, i) => spawnWorker({ ...env, HEALTH_PORT: String(port) }, `scraped-worker-${i + 1}`)),
  ]);
  servers.push(...(started.slice(0, 2) as (Proc & { url: string })[]));
  workers.push(...started.slice(2));
  prometheus = await startPrometheus([
    { name: 'jobflow-server', targets: servers.map((s) => new URL(s.url).host), bearerToken: METRICS_TOKEN },
    { name: 'jobflow-worker', targets: healthPorts.map((p) => `127.0.0.1:${p}`), bearerToken: METRICS_TOKEN },
  ]);
}, 240_000);

afterAll(async () => {
  await prometheus?.stop();
  await Promise.all([...workers, ...servers].map((p) => p.stop()));
  await stack?.stop();
});

const sumOf = async (promql: string) => (await prometheus!.query(promql))[0]?.value;

describe('Prometheus scraping two servers and two workers', { timeout: 240_000 }, () => {
  it('sees every process up and counts every run the cluster finished', async () => {
    await until(async () => (await sumOf('sum(up)')) === 4, 'Prometheus to scrape all four processes');
    expect(await prometheus!.query('up == 0')).toEqual([]);

    const token = stack.admin.token;
    const job = (await stack.request<JobDto>('POST', '/api/jobs', { token, body: { name: 'scraped', type: 'sleep', params: { seconds: 0 } } })).body as {
      id: string;
    };
    // Half the runs through each server.
    const runs: RunDto[] = [];
    for (let i = 0; i < RUNS; i++) {
      const res = await fetch(`${servers[i % 2]!.url}/api/jobs/${job.id}/runs`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(201);
      runs.push((await res.json()) as RunDto);
    }
    await until(async () => {
      const states = await Promise.all(runs.map(async (r) => (await stack.request<RunDto>('GET', `/api/runs/${r.id}`, { token })).body.status));
      return states.every((s) => s === 'succeeded');
    }, 'every run to succeed');

    await until(
      async () => (await sumOf('sum(jobflow_runs_finished_total{status="succeeded"})')) === RUNS,
      `Prometheus to count ${RUNS} succeeded runs`,
      60_000,
    );
    expect(await sumOf('sum(jobflow_runs_finished_total{status="succeeded"})')).toBe(RUNS);
    expect(await sumOf('sum(jobflow_run_attempts_total{job_type="sleep"})')).toBe(RUNS);
    // The servers are scraped on their own schedule: wait for a scrape after the last request.
    const started = 'sum(jobflow_http_requests_total{job="jobflow-server", route="/api/jobs/:id/runs", status="201"})';
    await until(async () => (await sumOf(started)) === RUNS, `Prometheus to count ${RUNS} run starts`, 60_000);
    expect(await sumOf(started)).toBe(RUNS);
    // Every process reports the same queue figures, read from PostgreSQL.
    const depths = await prometheus!.query('jobflow_queue_depth');
    expect(depths.map((d) => d.metric.job).sort()).toEqual(['jobflow-server', 'jobflow-server', 'jobflow-worker', 'jobflow-worker']);
  });
});
