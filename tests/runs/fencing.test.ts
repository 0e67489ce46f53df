import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunDto } from '@jobflow/shared';
import { startStack, type Stack } from '../support/stack';
import { collectRun, subscribe } from '../support/live';
import { storedLines } from '../support/runs';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.stop());

describe('fencing by (run, attempt)', () => {
  it('refuses every write of an attempt that is no longer current', async () => {
    const job = await stack.createJob({ type: 'shell', params: { script: 'sleep 30' }, maxAttempts: 2 });
    const socket = stack.connect(stack.admin.token);
    const watch = collectRun(socket);
    await subscribe(socket, { topic: 'job', jobId: job.id });
    const run = await stack.startRun(job.id);
    await watch.untilStatus(run.id, 'running');
    const { runs } = stack.app.deps;
    const superseded = await runs.retryOrFail({ runId: run.id, attempt: 1, error: { code: 'worker_lost', message: 'taken over in a test' } });
    expect(superseded?.attempt).toBe(2);
    expect(await runs.appendLines({ runId: run.id, attempt: 1, lines: [{ ts: new Date().toISOString(), stream: 'stdout', text: 'stale' }] })).toBeNull();
    expect(await runs.finish({ runId: run.id, attempt: 1, status: 'succeeded', result: {}, error: null })).toBeNull();
    expect(await runs.setProgress(run.id, 1, 0.5)).toBeNull();
    await stack.request<RunDto>('POST', `/api/runs/${run.id}/cancel`, { token: stack.admin.token });
    const final = await watch.untilFinal(run.id);
    expect(final.status).toBe('cancelled');
    expect(await runs.finish({ runId: run.id, attempt: 2, status: 'succeeded', result: {}, error: null })).toBeNull();
    expect((await storedLines(stack, run.id)).map((l) => l.text)).not.toContain('stale');
  });
});
