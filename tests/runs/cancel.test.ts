import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunDto } from '@jobflow/shared';
import { errorOf, startStack, type Stack } from '../support/stack';
import { collectRun, subscribe } from '../support/live';
import { killAll, spawnWorker } from '../support/processes';
import { explain, watchJob, workerOf } from '../support/runs';
import { waitFor } from '../support/wait';

describe('cancelling a run (in-process worker)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.stop());

  it('cancelling a queued run cancels it at once; a running one within 5 s, killing its processes', async () => {
    const token = stack.admin.token;
    const job = await stack.createJob({ type: 'shell', params: { script: 'echo started; sleep 30; echo never' }, maxConcurrentRuns: 1 });
    const socket = stack.connect(token);
    const watch = collectRun(socket);
    await subscribe(socket, { topic: 'job', jobId: job.id });
    const first = await stack.startRun(job.id);
    const second = await stack.startRun(job.id);
    await watch.untilStatus(first.id, 'running');
    const queued = await stack.request<RunDto>('POST', `/api/runs/${second.id}/cancel`, { token });
    expect(queued.status).toBe(202);
    expect(queued.body.status).toBe('cancelled');
    expect(queued.body.error?.code).toBe('cancelled');

    await subscribe(socket, { topic: 'run', runId: first.id, afterSeq: 0 });
    await watch.linesUntil(first.id, 1);
    const requested = Date.now();
    const res = await stack.request<RunDto>('POST', `/api/runs/${first.id}/cancel`, { token });
    expect(res.status).toBe(202);
    const final = await watch.untilFinal(first.id);
    expect(final.status).toBe('cancelled');
    expect(Date.now() - requested).toBeLessThan(5000);
    expect(watch.lines(first.id).map((l) => l.text)).not.toContain('never');
    const again = await stack.request<RunDto>('POST', `/api/runs/${first.id}/cancel`, { token });
    expect(again.status).toBe(409);
    expect(errorOf(again).code).toBe('conflict');
  });
});

describe('cancelling a run held by another worker process', { timeout: 120_000 }, () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ workers: 0 });
  });
  afterAll(async () => {
    await killAll();
    await stack.stop();
  });

  it('ends it within 5 s', async () => {
    const d = await spawnWorker(stack.env, 'cancel-d');
    const job = await stack.createJob({ type: 'shell', params: { script: 'echo go; sleep 60' } });
    const { watch, start } = await watchJob(stack, job.id);
    const run = await start();
    await watch.untilStatus(run.id, 'running').catch((e: Error) => explain(stack, run.id, [d], e));
    await waitFor(async () => (await workerOf(stack, run.id)) === 'cancel-d', 'the run to be on cancel-d');
    const requested = Date.now();
    expect((await stack.request<RunDto>('POST', `/api/runs/${run.id}/cancel`, { token: stack.admin.token })).status).toBe(202);
    const final = await watch.untilFinal(run.id).catch((e: Error) => explain(stack, run.id, [d], e));
    expect(final.status).toBe('cancelled');
    expect(Date.now() - requested).toBeLessThan(5000);
    await d.stop();
  });
});
