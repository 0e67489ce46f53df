import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogLineDto, RunDto } from '@jobflow/shared';
import { runStore } from '@jobflow/core/runs';
import { startStack, type Stack } from '../support/stack';
import { collectRun, subscribe } from '../support/live';

let stack: Stack;
let token: string;

beforeAll(async () => {
  stack = await startStack({ worker: { concurrency: 5 } });
  token = stack.admin.token;
});
afterAll(() => stack.stop());

const createJob = async (type: string, params: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  (await stack.request('POST', '/api/jobs', { token, body: { name: `job ${Math.random()}`, type, params, ...extra } })).body;

async function runToEnd(jobId: string, body: Record<string, unknown> = {}) {
  const socket = stack.connect(token);
  const watch = collectRun(socket);
  await subscribe(socket, { topic: 'job', jobId });
  const run: RunDto = (await stack.request('POST', `/api/jobs/${jobId}/runs`, { token, body })).body;
  await subscribe(socket, { topic: 'run', runId: run.id, afterSeq: 0 });
  watch.seed((await stack.request('GET', `/api/runs/${run.id}`, { token })).body);
  const final = await watch.untilFinal(run.id, 60_000);
  const logs = (await stack.request('GET', `/api/runs/${run.id}/logs?limit=5000`, { token })).body.items as LogLineDto[];
  socket.disconnect();
  return { run, final, updates: watch.updates(run.id), logs };
}

describe('timeouts', () => {
  it('kills the process group and fails the run with timeout', async () => {
    const job = await createJob('shell', { script: '(sleep 30; echo child-survived) & echo started; sleep 30; echo never' }, { timeoutSec: 1 });
    const { final, logs } = await runToEnd(job.id);
    expect(final.status).toBe('failed');
    expect(final.error).toEqual({ code: 'timeout', message: 'timed out after 1 s' });
    expect(logs.map((l) => l.text)).toContain('started');
    expect(logs.map((l) => l.text)).not.toContain('never');
    expect(logs.find((l) => l.stream === 'system')?.text).toBe('timed out after 1 s');
  });

  it('a per-run timeout overrides the job', async () => {
    const job = await createJob('sleep', { seconds: 20 });
    const { final } = await runToEnd(job.id, { timeoutSec: 1 });
    expect(final.error?.code).toBe('timeout');
    expect(final.timeoutSec).toBe(1);
  });
});

describe('retries', () => {
  it('retries with backoff while attempts remain, counting attempts and continuing seq', async () => {
    const job = await createJob('shell', { script: 'echo "try $JOBFLOW_ATTEMPT"; exit 1' }, { maxAttempts: 3 });
    const { final, updates, logs } = await runToEnd(job.id);
    expect(final.status).toBe('failed');
    expect(final.attempt).toBe(3);
    expect(final.maxAttempts).toBe(3);
    const moves = updates.map((u) => `${u.status}:${u.attempt}`);
    expect(moves).toEqual(['queued:1', 'running:1', 'queued:2', 'running:2', 'queued:3', 'running:3', 'failed:3']);
    expect(logs.map((l) => l.seq)).toEqual(logs.map((_, i) => i + 1));
    expect(logs.map((l) => `${l.stream}:${l.text}`)).toEqual([
      'stdout:try 1',
      'system:attempt 2 of 3 after: handler_error: the script exited with code 1',
      'stdout:try 2',
      'system:attempt 3 of 3 after: handler_error: the script exited with code 1',
      'stdout:try 3',
      'system:failed after 3 of 3 attempts: handler_error: the script exited with code 1',
    ]);
  });

  it('succeeds on a later attempt', async () => {
    const job = await createJob('shell', { script: 'if [ "$JOBFLOW_ATTEMPT" -lt 2 ]; then exit 1; fi; echo ok' }, { maxAttempts: 3 });
    const { final } = await runToEnd(job.id);
    expect(final.status).toBe('succeeded');
    expect(final.attempt).toBe(2);
  });

  it('a do-not-retry error fails the run at once', async () => {
    const job = await createJob('sleep', { seconds: 0, fail: true }, { maxAttempts: 5 });
    const { final, updates } = await runToEnd(job.id);
    expect(final.status).toBe('failed');
    expect(final.attempt).toBe(1);
    expect(final.error).toEqual({ code: 'handler_error', message: 'asked to fail' });
    expect(updates.filter((u) => u.status === 'running')).toHaveLength(1);
  });
});

describe('fencing', () => {
  it('refuses every write of an attempt that is no longer current', async () => {
    const job = await createJob('shell', { script: 'sleep 30' }, { maxAttempts: 2 });
    const socket = stack.connect(token);
    const watch = collectRun(socket);
    await subscribe(socket, { topic: 'job', jobId: job.id });
    const run: RunDto = (await stack.request('POST', `/api/jobs/${job.id}/runs`, { token, body: {} })).body;
    await watch.untilStatus(run.id, 'running');
    const { db, lifecycle } = stack.app.deps;
    const superseded = await lifecycle.retryOrFail(run.id, 1, { code: 'worker_lost', message: 'taken over in a test' });
    expect(superseded?.attempt).toBe(2);
    expect(await runStore.appendLogs(db.sql, run.id, 1, [{ ts: new Date().toISOString(), stream: 'stdout', text: 'stale' }])).toBeNull();
    expect(await runStore.finish(db.sql, { runId: run.id, attempt: 1, status: 'succeeded', result: {}, error: null })).toBeNull();
    expect(await runStore.setProgress(db.sql, run.id, 1, 0.5)).toBeNull();
    await stack.request('POST', `/api/runs/${run.id}/cancel`, { token });
    const final = await watch.untilFinal(run.id);
    expect(final.status).toBe('cancelled');
    expect(await runStore.finish(db.sql, { runId: run.id, attempt: 2, status: 'succeeded', result: {}, error: null })).toBeNull();
    const logs = (await stack.request('GET', `/api/runs/${run.id}/logs`, { token })).body.items as LogLineDto[];
    expect(logs.map((l) => l.text)).not.toContain('stale');
  });
});

describe('concurrency', () => {
  it('never runs more than maxConcurrentRuns of a job at once; the rest wait queued', async () => {
    const job = await createJob('sleep', { seconds: 0.3 }, { maxConcurrentRuns: 1 });
    const socket = stack.connect(token);
    const watch = collectRun(socket);
    await subscribe(socket, { topic: 'job', jobId: job.id });
    const runs: RunDto[] = [];
    for (let i = 0; i < 3; i++) runs.push((await stack.request('POST', `/api/jobs/${job.id}/runs`, { token, body: {} })).body);
    const finals = await Promise.all(runs.map((r) => watch.untilFinal(r.id)));
    expect(finals.every((f) => f.status === 'succeeded')).toBe(true);
    const spans = finals.map((f) => [Date.parse(f.startedAt!), Date.parse(f.finishedAt!)] as const).sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < spans.length; i++) expect(spans[i]![0]).toBeGreaterThanOrEqual(spans[i - 1]![1]);
  });
});

describe('progress', () => {
  it('reports progress in [0, 1] with growing versions', async () => {
    const job = await createJob('sleep', { seconds: 2 });
    const { final, updates } = await runToEnd(job.id);
    expect(final.status).toBe('succeeded');
    const progress = updates.map((u) => u.progress).filter((p): p is number => p !== null);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.every((p) => p >= 0 && p <= 1)).toBe(true);
    expect(final.progress).toBe(1);
    const versions = updates.map((u) => u.version);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
  });
});
