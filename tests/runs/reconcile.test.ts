import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isFinalStatus } from '@jobflow/shared';
import { startStack, type Stack } from '../support/stack';
import { collectRun, subscribe } from '../support/live';
import { killAll, spawnWorker, type Proc } from '../support/processes';
import { explain, storedLines, watchJob, workerOf } from '../support/runs';
import { waitFor } from '../support/wait';

let stack: Stack;
const procs: Proc[] = [];

beforeAll(async () => {
  stack = await startStack({ workers: 0 });
});
afterAll(async () => {
  await killAll();
  await stack.stop();
});

const worker = async (id: string) => {
  const p = await spawnWorker(stack.env, id);
  procs.push(p);
  return p;
};
const why = (runId: string) => (e: Error) => explain(stack, runId, procs, e);

describe('runs whose worker went away', { timeout: 240_000 }, () => {
  it('a worker killed with SIGKILL mid-run: the run is retried on another worker, counting an attempt', async () => {
    const a = await worker('fault-a');
    const job = await stack.createJob({
      type: 'shell',
      params: { script: 'if [ "$JOBFLOW_ATTEMPT" = 1 ]; then echo first; sleep 60; fi; echo "done on attempt $JOBFLOW_ATTEMPT"' },
      maxAttempts: 2,
    });
    const { watch, start } = await watchJob(stack, job.id);
    const run = await start();
    const socket = stack.connect(stack.admin.token);
    const lines = collectRun(socket);
    await subscribe(socket, { topic: 'run', runId: run.id, afterSeq: 0 });
    await lines.linesUntil(run.id, 1);
    expect(await workerOf(stack, run.id)).toBe('fault-a');
    await a.kill();
    const b = await worker('fault-b');
    const final = await watch.untilFinal(run.id).catch(why(run.id));
    expect(final.status).toBe('succeeded');
    expect(final.attempt).toBe(2);
    expect((await storedLines(stack, run.id)).map((l) => l.text)).toEqual([
      'first',
      expect.stringMatching(/^attempt 2 of 2 after: worker_lost: /),
      'done on attempt 2',
    ]);
    await b.stop();
  });

  it('with no attempts left, a lost worker fails the run with worker_lost', async () => {
    const c = await worker('fault-c');
    const job = await stack.createJob({ type: 'shell', params: { script: 'sleep 60' }, maxAttempts: 1 });
    const { watch, start } = await watchJob(stack, job.id);
    const run = await start();
    await watch.untilStatus(run.id, 'running').catch(why(run.id));
    await waitFor(async () => (await workerOf(stack, run.id)) === 'fault-c', 'the run to be on fault-c');
    await c.kill();
    const final = await watch.untilFinal(run.id).catch(why(run.id));
    expect(final.status).toBe('failed');
    expect(final.error?.code).toBe('worker_lost');
  });

  it('a poison run that kills every worker it touches stops after maxAttempts', async () => {
    const job = await stack.createJob({
      type: 'shell',
      params: { script: 'echo "attempt $JOBFLOW_ATTEMPT kills its worker"; kill -9 $PPID; sleep 5' },
      maxAttempts: 3,
    });
    const { watch, start } = await watchJob(stack, job.id);
    let current = await worker('poison-0');
    const run = await start();
    let respawns = 0;
    const isOver = () => {
      const latest = watch.latest(run.id);
      return latest !== undefined && isFinalStatus(latest.status);
    };
    const hasExited = (p: Proc) => p.child.exitCode !== null || p.child.signalCode !== null;
    try {
      // Each time the run kills the worker holding it, another one takes its place, until the run is over.
      while (!isOver()) {
        await waitFor(() => isOver() || hasExited(current), 'the run to end or its worker to die', { timeoutMs: 150_000 }).catch(why(run.id));
        if (isOver()) break;
        respawns++;
        expect(respawns, 'workers killed').toBeLessThan(10);
        current = await worker(`poison-${respawns}`);
      }
    } finally {
      await current.kill();
    }
    const final = watch.latest(run.id)!;
    expect(final.status).toBe('failed');
    expect(final.error?.code).toBe('worker_lost');
    expect(final.attempt).toBe(3);
  });

  it('SIGTERM lets short runs finish and hands long ones back without using up an attempt', async () => {
    const e = await worker('fault-e');
    const short = await stack.createJob({ type: 'sleep', params: { seconds: 0.5 } });
    const long = await stack.createJob({
      type: 'shell',
      params: { script: 'if [ "$JOBFLOW_ATTEMPT" = 1 ]; then sleep 60; fi; echo finished elsewhere' },
      maxAttempts: 1,
    });
    const s = await watchJob(stack, short.id);
    const l = await watchJob(stack, long.id);
    const shortRun = await s.start();
    const longRun = await l.start();
    await s.watch.untilStatus(shortRun.id, 'running');
    await l.watch.untilStatus(longRun.id, 'running');
    expect(await e.stop()).toBe(0);
    expect((await s.watch.untilFinal(shortRun.id)).status).toBe('succeeded');
    const requeued = await l.watch.until(longRun.id, (r) => r.status === 'queued' && r.attempt === 2, 'handed back');
    expect(requeued.maxAttempts).toBe(2);
    await worker('fault-f');
    const final = await l.watch.untilFinal(longRun.id);
    expect(final.status).toBe('succeeded');
  });
});
