import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../support/stack';
import { collectRun, subscribe } from '../support/live';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ worker: { concurrency: 5 } });
});
afterAll(() => stack.stop());

describe('claiming a run', () => {
  it('never runs more than maxConcurrentRuns of a job at once; the rest wait queued', async () => {
    const job = await stack.createJob({ type: 'sleep', params: { seconds: 0.3 }, maxConcurrentRuns: 1 });
    const socket = stack.connect(stack.admin.token);
    const watch = collectRun(socket);
    await subscribe(socket, { topic: 'job', jobId: job.id });
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await stack.startRun(job.id));
    const finals = await Promise.all(runs.map((r) => watch.untilFinal(r.id)));
    expect(finals.every((f) => f.status === 'succeeded')).toBe(true);
    const spans = finals.map((f) => [Date.parse(f.startedAt!), Date.parse(f.finishedAt!)] as const).sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < spans.length; i++) expect(spans[i]![0]).toBeGreaterThanOrEqual(spans[i - 1]![1]);
  });
});
