import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CreatedTokenDto, JobDto } from '@jobflow/shared';
import { createClient, isApiClientError, newIdempotencyKey, type JobflowClient, type RetryNotice } from '@jobflow/shared/client';
import { jobflow, killJobflowProcesses, startJobflow } from '../cli/run-cli';
import { startGateway, type Gateway, type RequestMatch } from '../support/gateway';
import { freePort, killAll, spawnServer } from '../support/processes';
import { startStack, type Stack } from '../support/stack';

/**
 * A server restarting behind a load balancer: the port refuses connections,
 * the balancer answers 503, a connection is reset after the server acted.
 * Reads and starts of runs (which carry an Idempotency-Key) are sent again
 * until the server is back, and start one run; other changes are sent once.
 */

// CLI processes and a server process boot here; on a busy machine they take a while.
vi.setConfig({ testTimeout: 180_000 });

let stack: Stack;
let token: string;
let gateway: Gateway;
let env: Record<string, string>;
const clients: JobflowClient[] = [];

beforeAll(async () => {
  stack = await startStack();
  token = (await stack.request<CreatedTokenDto>('POST', '/api/tokens', { token: stack.admin.token, body: { name: 'retries' } })).body.token;
  gateway = await startGateway(Number(new URL(stack.baseUrl).port));
  env = { HOME: '/nonexistent', XDG_CONFIG_HOME: '/nonexistent', JOBFLOW_URL: gateway.url, JOBFLOW_TOKEN: token };
});
afterAll(async () => {
  await killJobflowProcesses();
  await killAll();
  for (const client of clients) client.close();
  await gateway?.close();
  await stack?.stop();
});

let counter = 0;
const shellJob = (script: string) => stack.createJob({ name: `retried ${++counter}`, type: 'shell', params: { script } }, stack.admin.token) as Promise<JobDto>;
const runsOf = async (jobId: string) => (await stack.sql<{ id: string }>('select id from runs where job_id = $1', [jobId])).map((r) => r.id);
const jobsNamed = async (name: string) => Number((await stack.sql<{ n: string }>('select count(*) as n from jobs where name = $1', [name]))[0]!.n);

const startsOf =
  (jobId: string): RequestMatch =>
  (method, path) =>
    method === 'POST' && path === `/api/jobs/${jobId}/runs`;
const seenCount = (match: RequestMatch) => gateway.seen.filter((line) => match(...(line.split(' ') as [string, string]))).length;

function clientVia(url: string, notices: RetryNotice[] = [], retry?: false): JobflowClient {
  const client = createClient({ url, token, retry: retry ?? { onRetry: (notice) => notices.push(notice) } });
  clients.push(client);
  return client;
}

describe('typed client', () => {
  it('starts one run through a gateway that answers 503 three times, waiting as long as Retry-After asks', async () => {
    const job = await shellJob('echo started');
    gateway.refuse(startsOf(job.id), 2);
    gateway.refuse(startsOf(job.id), 1, { retryAfterSec: 2 });
    const notices: RetryNotice[] = [];
    const run = await clientVia(gateway.url, notices).jobs.run(job.id);

    expect(notices.map((n) => [n.method, n.path, n.attempt, n.reason])).toEqual([
      ['POST', `/api/jobs/${job.id}/runs`, 1, 'HTTP 503'],
      ['POST', `/api/jobs/${job.id}/runs`, 2, 'HTTP 503'],
      ['POST', `/api/jobs/${job.id}/runs`, 3, 'HTTP 503'],
    ]);
    expect(notices[2]!.delayMs).toBeGreaterThanOrEqual(2000);
    expect(seenCount(startsOf(job.id))).toBe(4);
    expect(await runsOf(job.id)).toEqual([run.id]);
  });

  it('starts one run when the connection is reset after the server started it: the retry carries the same key', async () => {
    const job = await shellJob('echo started');
    gateway.dropAnswers(startsOf(job.id), 1);
    const notices: RetryNotice[] = [];
    const run = await clientVia(gateway.url, notices).jobs.run(job.id);

    expect(notices.map((n) => n.reason)).toEqual([expect.stringMatching(/^(ECONNRESET|UND_ERR_SOCKET)$/)]);
    expect(seenCount(startsOf(job.id))).toBe(2);
    expect(await runsOf(job.id)).toEqual([run.id]);
  });

  it('sends a change without an Idempotency-Key once, whatever happens to it', async () => {
    const notices: RetryNotice[] = [];
    const client = clientVia(gateway.url, notices);
    const isCreate: RequestMatch = (method, path) => method === 'POST' && path === '/api/jobs';
    gateway.refuse(isCreate, 1);
    const createsBefore = seenCount(isCreate);
    const refused = await client.jobs.create({ name: 'created once', type: 'sleep', params: { seconds: 0 } }).catch((e: unknown) => e);
    expect(isApiClientError(refused) && [refused.code, refused.status]).toEqual(['unavailable', 503]);
    expect(seenCount(isCreate)).toBe(createsBefore + 1);
    expect(await jobsNamed('created once')).toBe(0);

    // The server changed the job, the answer was lost: the client says so rather than change it again.
    const job = await shellJob('true');
    const isPatch: RequestMatch = (method, path) => method === 'PATCH' && path === `/api/jobs/${job.id}`;
    gateway.dropAnswers(isPatch, 1);
    const lost = await client.jobs.update(job.id, { description: 'changed once' }).catch((e: unknown) => e);
    expect(isApiClientError(lost, 'network_error')).toBe(true);
    expect(seenCount(isPatch)).toBe(1);
    expect((await stack.request<JobDto>('GET', `/api/jobs/${job.id}`, { token: stack.admin.token })).body).toMatchObject({
      description: 'changed once',
      version: job.version + 1,
    });
    expect(notices).toEqual([]);
  });

  it('with retry: false, sends a read once', async () => {
    const job = await shellJob('true');
    const isRead: RequestMatch = (method, path) => method === 'GET' && path === `/api/jobs/${job.id}`;
    gateway.refuse(isRead, 1);
    const refused = await clientVia(gateway.url, [], false)
      .jobs.get(job.id)
      .catch((e: unknown) => e);
    expect(isApiClientError(refused, 'unavailable')).toBe(true);
    expect(seenCount(isRead)).toBe(1);
  });

  it('starts one run for concurrent starts with one key: a 409 while the first is answered is waited out', async () => {
    const job = await shellJob('true');
    const client = clientVia(stack.baseUrl);
    const key = newIdempotencyKey();
    const runs = await Promise.all(Array.from({ length: 5 }, () => client.jobs.run(job.id, {}, { idempotencyKey: key })));
    expect(new Set(runs.map((r) => r.id)).size).toBe(1);
    expect(await runsOf(job.id)).toEqual([runs[0]!.id]);
  });
});

describe('jobflow run --follow while the server restarts', () => {
  it('waits for a server that comes up after the command started, starts one run and follows it to the end', async () => {
    const job = await shellJob('echo "line 1"; echo "line 2"');
    const port = await freePort();
    const cli = startJobflow(['run', job.id, '--follow'], { env: { ...env, JOBFLOW_URL: `http://127.0.0.1:${port}` } });
    // Nothing listens on the port yet: the command says it keeps trying.
    await cli.stderrText(`GET /api/jobs/${job.id}: ECONNREFUSED; trying again for up to 60 s`);
    const server = await spawnServer(stack.env, port);
    const result = await cli.result;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('line 1\nline 2\n');
    expect(result.stderr).toMatch(/run \S+ of retried \d+ succeeded/);
    expect(await runsOf(job.id)).toHaveLength(1);
    await server.stop();
  });

  it('through a gateway that answers 503 and loses an answer, starts one run and follows it to the end', async () => {
    const job = await shellJob('echo "through the gateway"');
    const isRead: RequestMatch = (method, path) => method === 'GET' && path === `/api/jobs/${job.id}`;
    gateway.refuse(isRead, 2);
    gateway.refuse(startsOf(job.id), 1);
    gateway.dropAnswers(startsOf(job.id), 1);
    const result = await jobflow(['run', job.id, '--follow'], { env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('through the gateway\n');
    expect(result.stderr).toContain(`GET /api/jobs/${job.id}: HTTP 503; trying again`);
    expect(result.stderr).toContain(`POST /api/jobs/${job.id}/runs: HTTP 503; trying again`);
    expect(seenCount(isRead)).toBe(3);
    expect(seenCount(startsOf(job.id))).toBe(3);
    expect(await runsOf(job.id)).toHaveLength(1);
  });

  it('--idempotency-key: the same command run again prints the same run', async () => {
    const job = await shellJob('true');
    const key = `ci-pipeline-${Date.now()}`;
    const first = await jobflow(['run', job.id, '--idempotency-key', key], { env });
    const again = await jobflow(['run', job.id, '--idempotency-key', key], { env });
    expect(first.code, first.stderr).toBe(0);
    expect(again.stdout).toBe(first.stdout);
    expect(await runsOf(job.id)).toEqual([first.stdout.trim()]);
  });

  it('sends a change without a key once, and with JOBFLOW_RETRY_SEC=0 a read once too', async () => {
    const isCreate: RequestMatch = (method, path) => method === 'POST' && path === '/api/jobs';
    gateway.refuse(isCreate, 1);
    const createsBefore = seenCount(isCreate);
    const create = await jobflow(['job', 'create', '--type', 'sleep', '--name', 'cli created once', '--param', 'seconds=0'], { env });
    expect(create.code).toBe(3);
    expect(create.stderr).toMatch(/unavailable: HTTP 503/);
    expect(create.stderr).not.toMatch(/trying again/);
    expect(seenCount(isCreate)).toBe(createsBefore + 1);
    expect(await jobsNamed('cli created once')).toBe(0);

    const job = await shellJob('true');
    const isRead: RequestMatch = (method, path) => method === 'GET' && path === `/api/jobs/${job.id}`;
    gateway.refuse(isRead, 1);
    const once = await jobflow(['run', job.id], { env: { ...env, JOBFLOW_RETRY_SEC: '0' } });
    expect(once.code).toBe(3);
    expect(once.stderr).not.toMatch(/trying again/);
    expect(seenCount(isRead)).toBe(1);
    expect(await runsOf(job.id)).toEqual([]);
  });

  it('when the start gets no answer in time, names the key that gets that run instead of another', async () => {
    const job = await shellJob('true');
    gateway.refuse(startsOf(job.id), 100);
    const result = await jobflow(['run', job.id], { env: { ...env, JOBFLOW_RETRY_SEC: '1' } });
    expect(result.code).toBe(3);
    const key = /add --idempotency-key (\S+) to the command/.exec(result.stderr)?.[1];
    expect(key, result.stderr).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(await runsOf(job.id)).toEqual([]);

    gateway.passAll();
    const before = seenCount(startsOf(job.id));
    const again = await jobflow(['run', job.id, '--idempotency-key', key!], { env });
    expect(again.code, again.stderr).toBe(0);
    expect(seenCount(startsOf(job.id))).toBe(before + 1);
    expect(await runsOf(job.id)).toEqual([again.stdout.trim()]);
  });
});
