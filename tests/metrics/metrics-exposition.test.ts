import { randomBytes } from 'node:crypto';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunDto } from '@jobflow/shared';
import { startStack, type LiveSocket, type Stack } from '../support/stack';
import { collectRun, subscribe } from '../support/live';
import { freePort, spawnServer, spawnWorker, until, type Proc } from '../support/processes';
import { promtoolCheck, samplesOf, valueOf } from '../support/metrics';
import { startReceiver } from '../notifications/receiver';

/**
 * A server process and a worker process (with its health port), as deployed:
 * what each exports on /metrics after real runs, checked by Debian's promtool.
 */
const METRICS_TOKEN = randomBytes(16).toString('hex');
const auth = { authorization: `Bearer ${METRICS_TOKEN}` };

let stack: Stack;
let server: Proc & { url: string };
let worker: Proc;
let workerUrl: string;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let token: string;

beforeAll(async () => {
  // The first attempt of every delivery fails with a 500: one retry, then delivered.
  receiver = await startReceiver((req, all) => (all.filter((r) => r.body.deliveryId === req.body.deliveryId).length === 1 ? 500 : 200));
  stack = await startStack({ workers: 0 });
  token = stack.admin.token;
  // The webhook receiver is on loopback, which the egress policy opens only when told.
  const env = { ...stack.env, METRICS_TOKEN, NOTIFY_RETRY_BASE_MS: '100', EGRESS_ALLOW_CIDRS: '127.0.0.0/8' };
  const healthPort = await freePort();
  workerUrl = `http://127.0.0.1:${healthPort}`;
  [server, worker] = await Promise.all([spawnServer(env), spawnWorker({ ...env, HEALTH_PORT: String(healthPort) }, 'metrics-worker')]);
  await until(async () => (await fetch(`${workerUrl}/readyz`)).ok, `the worker's /readyz\n${worker.output()}`);
}, 180_000);

afterAll(async () => {
  await worker?.stop();
  await server?.stop();
  await stack?.stop();
  await receiver?.close();
});

const api = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(server.url + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text && (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text };
};
const createJob = async (type: string, params: Record<string, unknown>, extra: Record<string, unknown> = {}) => {
  const res = await api('POST', '/api/jobs', { name: `metrics ${randomBytes(3).toString('hex')}`, type, params, ...extra });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string };
};
const start = async (jobId: string) => {
  const res = await api('POST', `/api/jobs/${jobId}/runs`, {});
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as RunDto;
};
const scrape = async (url: string) => {
  const res = await fetch(`${url}/metrics`, { headers: auth });
  expect(res.status, url).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
};

describe('metrics of a server process and a worker process', { timeout: 180_000 }, () => {
  it('count what the runs did, by job type and outcome, and the HTTP requests by route pattern', async () => {
    // A subscriber of the server process: it writes the runs' events to this socket.
    const live: LiveSocket = io(server.url, { auth: { token }, transports: ['websocket'], forceNew: true });
    try {
      const watch = collectRun(live);
      const sleep = await createJob(
        'sleep',
        { seconds: 0 },
        { notifications: [{ kind: 'webhook', on: ['succeeded'], url: `${receiver.url}/hook`, secret: 'whsec-metrics-0123456789' }] },
      );
      const failing = await createJob('shell', { script: 'echo trying; exit 3' }, { maxAttempts: 2 });
      expect(await subscribe(live, { topic: 'job', jobId: sleep.id })).toMatchObject({ ok: true });
      expect(await subscribe(live, { topic: 'job', jobId: failing.id })).toMatchObject({ ok: true });
      const runs = [await start(sleep.id), await start(sleep.id), await start(sleep.id), await start(failing.id)];
      for (const run of runs) await watch.untilFinal(run.id);
      expect(runs.map((r) => watch.latest(r.id)!.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'failed']);
      // Three succeeded runs, one delivery each, every first attempt answered 500.
      await until(() => receiver.requests.length === 6, 'every notification to be delivered');

      await until(
        async () => valueOf(await scrape(workerUrl), 'jobflow_notifications_total', { kind: 'webhook', outcome: 'delivered' }) === 3,
        'the worker to count the deliveries',
      );
      const [fromServer, fromWorker] = [await scrape(server.url), await scrape(workerUrl)];

      // Runs reach their final state in the worker: it counts them, their attempts, retries and durations.
      expect(valueOf(fromWorker, 'jobflow_runs_finished_total', { job_type: 'sleep', status: 'succeeded' })).toBe(3);
      expect(valueOf(fromWorker, 'jobflow_runs_finished_total', { job_type: 'shell', status: 'failed' })).toBe(1);
      expect(valueOf(fromWorker, 'jobflow_run_duration_seconds_count', { job_type: 'sleep', status: 'succeeded' })).toBe(3);
      expect(valueOf(fromWorker, 'jobflow_run_attempts_total', { job_type: 'shell' })).toBe(2);
      expect(valueOf(fromWorker, 'jobflow_run_retries_total', { job_type: 'shell' })).toBe(1);
      expect(valueOf(fromWorker, 'jobflow_run_attempts_total', { job_type: 'sleep' })).toBe(3);
      expect(valueOf(fromWorker, 'jobflow_notifications_total', { kind: 'webhook', outcome: 'retrying' })).toBe(3);
      expect(valueOf(fromWorker, 'jobflow_log_lines_total')).toBeGreaterThanOrEqual(2);
      expect(valueOf(fromWorker, 'jobflow_redis_errors_total')).toBe(0);
      expect(valueOf(fromWorker, 'jobflow_db_pool_connections', { state: 'waiting' })).toBe(0);
      // The server stored none of those outcomes, so it counts none of them (no double counting across processes).
      expect(valueOf(fromServer, 'jobflow_runs_finished_total', { job_type: 'sleep', status: 'succeeded' })).toBeUndefined();

      // HTTP requests by the router's pattern, never the raw path with its ids.
      expect(valueOf(fromServer, 'jobflow_http_requests_total', { method: 'POST', route: '/api/jobs/:id/runs', status: '201' })).toBe(4);
      expect(valueOf(fromServer, 'jobflow_http_requests_total', { method: 'POST', route: '/api/jobs', status: '201' })).toBe(2);
      expect(valueOf(fromServer, 'jobflow_http_request_duration_seconds_count', { method: 'POST', route: '/api/jobs/:id/runs' })).toBe(4);
      const routes = new Set(samplesOf(fromServer).flatMap((s) => (s.labels.route ? [s.labels.route] : [])));
      expect([...routes].filter((r) => /[0-9a-f]{8}-[0-9a-f]{4}/.test(r))).toEqual([]);
      // Live delivery: this server wrote events to a connected socket, and measured how late.
      expect(valueOf(fromServer, 'jobflow_sockets_connected')).toBe(1);
      expect(valueOf(fromServer, 'jobflow_event_lag_seconds_count')).toBeGreaterThan(0);

      // Each role exports its own families: no empty HTTP or socket series on a worker, no notification series on a server.
      expect(fromWorker).not.toMatch(/^# TYPE jobflow_http_requests_total/m);
      expect(fromWorker).not.toMatch(/^# TYPE jobflow_sockets_connected/m);
      expect(fromServer).not.toMatch(/^# TYPE jobflow_notifications_total/m);
      // The process metrics of Node.js come with both.
      for (const text of [fromServer, fromWorker]) expect(valueOf(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    } finally {
      live.disconnect();
    }
  });

  it('read runs waiting and running from PostgreSQL when scraped, on both processes', async () => {
    const job = await createJob('sleep', { seconds: 60 }, { maxConcurrentRuns: 1 });
    const running = await start(job.id);
    const waiting = await start(job.id);
    try {
      for (const url of [server.url, workerUrl]) {
        await until(async () => valueOf(await scrape(url), 'jobflow_runs_active', { status: 'running' }) === 1, `${url}: one run running`);
        const text = await scrape(url);
        expect(valueOf(text, 'jobflow_runs_active', { status: 'queued' }), url).toBe(1);
        expect(valueOf(text, 'jobflow_queue_depth'), url).toBe(1);
        expect(valueOf(text, 'jobflow_queue_oldest_age_seconds'), url).toBeGreaterThan(0);
      }
    } finally {
      for (const run of [waiting, running]) await api('POST', `/api/runs/${run.id}/cancel`);
    }
    await until(async () => valueOf(await scrape(server.url), 'jobflow_runs_active', { status: 'running' }) === 0, 'the cancelled run to stop');
    const text = await scrape(server.url);
    expect(valueOf(text, 'jobflow_runs_active', { status: 'queued' })).toBe(0);
    expect(valueOf(text, 'jobflow_queue_depth')).toBe(0);
    expect(valueOf(text, 'jobflow_queue_oldest_age_seconds')).toBe(0);
  });

  it("pass Debian's promtool check metrics without a single problem", async () => {
    for (const url of [server.url, workerUrl]) {
      const { code, problems } = await promtoolCheck(await scrape(url));
      expect({ url, code, problems }).toEqual({ url, code: 0, problems: '' });
    }
  });

  it('answer only with the token, and never with the UI', async () => {
    for (const url of [server.url, workerUrl]) {
      const denied = await fetch(`${url}/metrics`);
      expect(denied.status, url).toBe(401);
      expect(denied.headers.get('www-authenticate'), url).toBe('Bearer realm="metrics"');
      expect((await denied.json()).error.code, url).toBe('unauthorized');
      expect((await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer not-the-token' } })).status, url).toBe(401);
    }
    for (const path of ['/metrics/anything', '/metrics/x/y', '/api/no-such-route', '/healthz/deeper', '/readyz/x']) {
      const res = await fetch(server.url + path, { headers: auth });
      expect({ path, status: res.status, type: res.headers.get('content-type') }).toEqual({ path, status: 404, type: 'application/json; charset=utf-8' });
      expect((await res.json()).error.code).toBe('not_found');
    }
    const other = await fetch(`${workerUrl}/anything`);
    expect([other.status, (await other.json()).error.code]).toEqual([404, 'not_found']);
    const wrongMethod = await fetch(`${workerUrl}/metrics`, { method: 'POST', headers: auth });
    expect([wrongMethod.status, wrongMethod.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
    expect((await fetch(`${workerUrl}/healthz`)).status).toBe(200);
  });
});
