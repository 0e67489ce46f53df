import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../support/stack';
import { runToEnd } from '../support/runs';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ worker: { concurrency: 5 } });
});
afterAll(() => stack.stop());

describe('retries', () => {
  it('retries with backoff while attempts remain, counting attempts and continuing seq', async () => {
    const job = await stack.createJob({ type: 'shell', params: { script: 'echo "try $JOBFLOW_ATTEMPT"; exit 1' }, maxAttempts: 3 });
    const { final, updates, logs } = await runToEnd(stack, job.id);
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
    const job = await stack.createJob({ type: 'shell', params: { script: 'if [ "$JOBFLOW_ATTEMPT" -lt 2 ]; then exit 1; fi; echo ok' }, maxAttempts: 3 });
    const { final } = await runToEnd(stack, job.id);
    expect(final.status).toBe('succeeded');
    expect(final.attempt).toBe(2);
  });

  it('a do-not-retry error fails the run at once', async () => {
    const job = await stack.createJob({ type: 'sleep', params: { seconds: 0, fail: true }, maxAttempts: 5 });
    const { final, updates } = await runToEnd(stack, job.id);
    expect(final.status).toBe('failed');
    expect(final.attempt).toBe(1);
    expect(final.error).toEqual({ code: 'handler_error', message: 'asked to fail' });
    expect(updates.filter((u) => u.status === 'running')).toHaveLength(1);
  });
});
