import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { isFinalStatus, type CreatedTokenDto, type JobDto, type LogLineDto, type RunDto } from '@jobflow/shared';
import { startStack, type Stack } from '../support/stack';
import { startGateway } from '../support/gateway';
import { startHttpProxy, type HttpProxy } from '../support/http-proxy';
import { killPythonProcesses, requirePython, runPython } from '../support/python';
import { waitFor } from '../support/wait';
import { storedLines } from '../support/runs';

vi.setConfig({ testTimeout: 120_000 });

let stack: Stack;
let proxy: HttpProxy;
let apiToken: string;
let home: string;

beforeAll(async () => {
  stack = await startStack();
  proxy = await startHttpProxy(Number(new URL(stack.baseUrl).port));
  apiToken = (await stack.request<CreatedTokenDto>('POST', '/api/tokens', { token: stack.admin.token, body: { name: 'python' } })).body.token;
  home = await mkdtemp(join(tmpdir(), 'jobflow-python-'));
});
afterAll(async () => {
  killPythonProcesses();
  await rm(home, { recursive: true, force: true });
  await proxy?.close();
  await stack?.stop();
});

const userEnv = () => ({ HOME: home, JOBFLOW_URL: proxy.url, JOBFLOW_TOKEN: apiToken });
const followRun = (job: string, env: Record<string, string> = {}) => runPython('follow_run.py', [job], { ...userEnv(), ...env });

const createJob = async (name: string, script: string): Promise<JobDto> => {
  const res = await stack.request<JobDto>('POST', '/api/jobs', { token: stack.admin.token, body: { name, type: 'shell', params: { script } } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
};

const runWhenFinal = (runId: string): Promise<RunDto> =>
  waitFor(
    async () => {
      const run = await stack.getRun(runId);
      return isFinalStatus(run.status) && run;
    },
    `run ${runId} to end`,
    { everyMs: 50 },
  );

const textOf = (lines: LogLineDto[], stream: LogLineDto['stream']) =>
  lines
    .filter((l) => l.stream === stream)
    .map((l) => l.text + '\n')
    .join('');

describe('examples/python/follow_run.py', () => {
  it('streams a run that succeeds, every line once and in order, stdout to stdout and stderr to stderr, and exits 0', async (ctx) => {
    requirePython(ctx);
    await createJob(
      'py succeeds',
      'for i in $(seq 1 300); do echo "out $i"; done; echo "to stderr" >&2; sleep 0.5; for i in $(seq 301 400); do echo "out $i"; done',
    );
    const script = followRun('py succeeds');
    expect(await script.exited).toBe(0);
    const runId = await script.runId();
    const lines = await storedLines(stack, runId);
    const { stdout, stderr } = script.output();
    expect(stdout).toBe(Array.from({ length: 400 }, (_, i) => `out ${i + 1}\n`).join(''));
    expect(stdout).toBe(textOf(lines, 'stdout'));
    expect(stderr).toContain('to stderr\n');
    expect(stderr).toMatch(/run [0-9a-f-]{36} of py succeeds succeeded in/);
  });

  it('exits 1 for a run that fails, with its stderr lines and its error on stderr', async (ctx) => {
    requirePython(ctx);
    const job = await createJob('py fails', 'echo before; echo oops >&2; exit 3');
    // By id this time.
    const script = followRun(job.id);
    expect(await script.exited).toBe(1);
    const { stdout, stderr } = script.output();
    expect(stdout).toBe('before\n');
    expect(stderr).toContain('oops\n');
    expect(stderr).toContain('failed: handler_error: the script exited with code 3');
  });

  it('exits 130 for a run cancelled while followed', async (ctx) => {
    requirePython(ctx);
    await createJob('py cancelled', 'echo started; sleep 30; echo never');
    const script = followRun('py cancelled');
    await script.until(() => script.output().stdout.includes('started'), 'the first line');
    const runId = await script.runId();
    expect((await stack.request<RunDto>('POST', `/api/runs/${runId}/cancel`, { token: stack.admin.token })).status).toBe(202);
    expect(await script.exited).toBe(130);
    expect(script.output().stdout).toBe('started\n');
    expect(script.output().stderr).toContain('cancelled');
  });

  it('a short run that ended before the script subscribed: exits at once with its outcome, from the ack and the replay', async (ctx) => {
    requirePython(ctx);
    const job = await createJob('py over before', 'for i in 1 2 3; do echo "quick $i"; done; exit 5');
    proxy.holdSocketIo();
    const before = proxy.requests.length;
    const script = followRun('py over before');
    let runId: string;
    try {
      runId = await script.runId();
      expect((await runWhenFinal(runId)).status).toBe('failed');
    } finally {
      proxy.release();
    }
    expect(await script.exited).toBe(1);
    expect(script.output().stdout).toBe('quick 1\nquick 2\nquick 3\n');
    // Neither the outcome nor the lines were read over REST: the subscription's ack and replay brought them.
    const rest = proxy.requests.slice(before).filter((r) => r.target.startsWith('/api/'));
    expect(rest.map((r) => `${r.method} ${r.target.split('?')[0]}`)).toEqual(['GET /api/jobs', `POST /api/jobs/${job.id}/runs`]);
  });

  it('asks again when a proxy answers 503 while servers restart: reads, and the start with its Idempotency-Key, which makes one run', async (ctx) => {
    requirePython(ctx);
    const job = await createJob('py through a restart', 'echo after the restart');
    const gateway = await startGateway(Number(new URL(stack.baseUrl).port));
    try {
      const viaGateway = { JOBFLOW_URL: gateway.url };
      gateway.refuse((method, path) => method === 'GET' && path.startsWith('/api/jobs'), 2, { retryAfterSec: 0 });
      const finding = followRun(job.id, viaGateway);
      await finding.runId();
      gateway.refuse((method) => method === 'POST', 3, { retryAfterSec: 0 });
      const starting = followRun(job.id, viaGateway);
      expect([await finding.exited, await starting.exited]).toEqual([0, 0]);
      expect(starting.output().stdout).toBe('after the restart\n');
      const starts = gateway.requests.filter((request) => request.method === 'POST');
      // One start by the first script, four by the second (three answered 503 by the gateway), all of its four with one key.
      expect(starts).toHaveLength(5);
      const keys = starts.map((request) => String(request.headers['idempotency-key']));
      expect(keys.every((key) => /^[0-9a-f-]{36}$/.test(key))).toBe(true);
      expect(new Set(keys.slice(1)).size).toBe(1);
      expect(keys[0]).not.toBe(keys[1]);
      const runs = await stack.sql<{ id: string }>(`select id from runs where job_id = $1`, [job.id]);
      expect(runs.map((r) => r.id).sort()).toEqual([await finding.runId(), await starting.runId()].sort());
    } finally {
      await gateway.close();
    }
  });

  it('says what is wrong: exit 2 for a wrong call, 3 for an unknown job, a refused token or a server out of reach', async (ctx) => {
    requirePython(ctx);
    expect(await runPython('follow_run.py', [], userEnv()).exited).toBe(2);
    expect(await runPython('follow_run.py', ['a', 'b'], userEnv()).exited).toBe(2);
    const unknown = followRun('no such job');
    expect(await unknown.exited).toBe(3);
    expect(unknown.output().stderr).toContain('not_found');
    const refused = followRun('py succeeds', { JOBFLOW_TOKEN: 'jf_not-a-token' });
    expect(await refused.exited).toBe(3);
    expect(refused.output().stderr).toContain('unauthorized');
    const away = followRun('py succeeds', { JOBFLOW_URL: 'http://127.0.0.1:9' });
    expect(await away.exited).toBe(3);
    expect(away.output().stderr).toContain('network_error');
  });
});

describe('examples/python/watch_failures.py', () => {
  it('prints each failed run once as a JSON line, only the given job with --job, and stops on Ctrl-C with 0', async (ctx) => {
    requirePython(ctx);
    const flaky = await createJob('py watched flaky', 'echo no; exit 1');
    const fine = await createJob('py watched fine', 'echo yes');
    const other = await createJob('py watched other', 'exit 7');
    const all = runPython('watch_failures.py', [], userEnv());
    const onlyFlaky = runPython('watch_failures.py', ['--job', 'py watched flaky'], userEnv());
    await all.until(() => all.output().stderr.includes('watching'), 'the watch to start');
    await onlyFlaky.until(() => onlyFlaky.output().stderr.includes('watching'), 'the filtered watch to start');

    const start = async (job: JobDto) =>
      (await stack.request<RunDto>('POST', `/api/jobs/${job.id}/runs`, { token: stack.admin.token, body: {} })).body as RunDto;
    const failed1 = await start(flaky);
    const succeeded = await start(fine);
    const failed2 = await start(other);
    for (const run of [failed1, succeeded, failed2]) await runWhenFinal(run.id);
    const parse = (text: string) =>
      text
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as RunDto);
    await all.until(() => parse(all.output().stdout).length >= 2, 'two failures');
    await onlyFlaky.until(() => parse(onlyFlaky.output().stdout).length >= 1, 'the failure of the flaky job');

    all.child.kill('SIGINT');
    onlyFlaky.child.kill('SIGINT');
    expect(await all.exited).toBe(0);
    expect(await onlyFlaky.exited).toBe(0);
    const printed = parse(all.output().stdout);
    expect(printed.map((r) => r.id).sort()).toEqual([failed1.id, failed2.id].sort());
    expect(printed.every((r) => r.status === 'failed' && r.error?.code === 'handler_error')).toBe(true);
    expect(parse(onlyFlaky.output().stdout).map((r) => r.id)).toEqual([failed1.id]);
    expect(await runPython('watch_failures.py', ['--nope'], userEnv()).exited).toBe(2);
  });
});

describe('the transport the Python examples use', () => {
  it('is WebSocket from the first request: no long-polling request ever reached the server', (ctx) => {
    requirePython(ctx);
    const socketIo = proxy.socketIoRequests();
    expect(socketIo.length).toBeGreaterThanOrEqual(6);
    for (const request of socketIo) {
      expect(new URL(request.target, 'http://x').searchParams.get('transport'), request.target).toBe('websocket');
      expect(request.headers.upgrade?.toLowerCase()).toBe('websocket');
    }
  });
});
