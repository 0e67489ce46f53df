import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../support/stack';
import { runToEnd } from '../support/runs';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ worker: { concurrency: 5 } });
});
afterAll(() => stack.stop());

describe('a run that times out', () => {
  it('kills the process group and fails the run with timeout', async () => {
    const job = await stack.createJob({
      type: 'shell',
      params: { script: '(sleep 30; echo child-survived) & echo started; sleep 30; echo never' },
      timeoutSec: 1,
    });
    const { final, logs } = await runToEnd(stack, job.id);
    expect(final.status).toBe('failed');
    expect(final.error).toEqual({ code: 'timeout', message: 'timed out after 1 s' });
    expect(logs.map((l) => l.text)).toContain('started');
    expect(logs.map((l) => l.text)).not.toContain('never');
    expect(logs.find((l) => l.stream === 'system')?.text).toBe('timed out after 1 s');
  });

  it('a per-run timeout overrides the job', async () => {
    const job = await stack.createJob({ type: 'sleep', params: { seconds: 20 } });
    const { final } = await runToEnd(stack, job.id, { timeoutSec: 1 });
    expect(final.error?.code).toBe('timeout');
    expect(final.timeoutSec).toBe(1);
  });
});
