import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunDto } from '@jobflow/shared';
import { startStack, type Stack } from '../support/stack';
import { collectRun, subscribe } from '../support/live';
import { spawnWorker, until, type Proc } from '../support/processes';
import { createRedis, redisKeys } from '@jobflow/core/platform';
import { queueJobId } from '@jobflow/core/queue';

let stack: Stack;
let token: string;
const procs: Proc[] = [];

beforeAll(async () => {
  stack = await startStack({ workers: 0 });
  token = stack.admin.token;
});
afterAll(async () => {
  await Promise.all(procs.map((p) => p.kill()));
  await stack.stop();
});

const worker = async (id: string) => {
  const p = await spawnWorker(stack.env, id);
  procs.push(p);
  return p;
};
const createJob = async (type: string, params: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  (await stack.request('POST', '/api/jobs', { token, body: { name: `job ${Math.random()}`, type, params, ...extra } })).body;
const workerOf = async (runId: string) =>
  (await stack.app.deps.db.sql<{ worker_id: string | null }>('select worker_id from runs where id = ?', [runId]))[0]?.worker_id;

/**
 * Rethrows `error` with what PostgreSQL and Redis hold for the run and what
 * the worker processes printed, so a failure says where the run got stuck.
 */
async function explain(runId: string, error: Error): Promise<never> {
  const [row] = await stack.app.deps.db.sql<{ attempt: number }>(
    'select status, attempt, worker_id, queue_job_id, cancel_requested_at from runs where id = ?',
    [runId],
  );
  const redis = createRedis(stack.env.REDIS_URL!);
  try {
    const bq = `${redisKeys(stack.redisPrefix).queue}:runs`;
    const attempt = row?.attempt ?? 1;
    const [waiting, active, stalling, job] = await Promise.all([
      redis.lrange(`${bq}:waiting`, 0, -1),
      redis.lrange(`${bq}:active`, 0, -1),
      redis.smembers(`${bq}:stalling`),
      redis.hget(`${bq}:jobs`, queueJobId(runId, attempt)),
    ]);
    const workers = procs.map(
      (p) => `--- ${p.child.spawnargs.join(' ')} (exit ${p.child.exitCode ?? p.child.signalCode ?? 'running'})\n${p.output().slice(-3000)}`,
    );
    error.message += `\nrun: ${JSON.stringify(row)}\nqueue: waiting ${JSON.stringify(waiting)} active ${JSON.stringify(active)} stalling ${JSON.stringify(stalling)} job ${job}\n${workers.join('\n')}`;
  } finally {
    redis.disconnect();
  }
  throw error;
}

async function watchJob(jobId: string) {
  const socket = stack.connect(token);
  const watch = collectRun(socket);
  await subscribe(socket, { topic: 'job', jobId });
  const start = async (body = {}) => (await stack.request('POST', `/api/jobs/${jobId}/runs`, { token, body })).body as RunDto;
  return { watch, start };
}

describe('worker processes', { timeout: 240_000 }, () => {
  it('a worker killed with SIGKILL mid-run: the run is retried on another worker, counting an attempt', async () => {
    const a = await worker('fault-a');
    const job = await createJob(
      'shell',
      { script: 'if [ "$JOBFLOW_ATTEMPT" = 1 ]; then echo first; sleep 60; fi; echo "done on attempt $JOBFLOW_ATTEMPT"' },
      { maxAttempts: 2 },
    );
    const { watch, start } = await watchJob(job.id);
    const run = await start();
    const socket = stack.connect(token);
    const lines = collectRun(socket);
    await subscribe(socket, { topic: 'run', runId: run.id, afterSeq: 0 });
    await lines.linesUntil(run.id, 1);
    expect(await workerOf(run.id)).toBe('fault-a');
    await a.kill();
    const b = await worker('fault-b');
    const final = await watch.untilFinal(run.id).catch(async (e) => {
      console.log(b.output());
      throw e;
    });
    expect(final.status).toBe('succeeded');
    expect(final.attempt).toBe(2);
    const logs = (await stack.request('GET', `/api/runs/${run.id}/logs`, { token })).body.items;
    expect(logs.map((l: { text: string }) => l.text)).toEqual(['first', expect.stringMatching(/^attempt 2 of 2 after: worker_lost: /), 'done on attempt 2']);
    await b.stop();
  });

  it('with no attempts left, a lost worker fails the run with worker_lost', async () => {
    const c = await worker('fault-c');
    const job = await createJob('shell', { script: 'sleep 60' }, { maxAttempts: 1 });
    const { watch, start } = await watchJob(job.id);
    const run = await start();
    await watch.untilStatus(run.id, 'running').catch((e) => explain(run.id, e));
    await until(async () => (await workerOf(run.id)) === 'fault-c', 'the run to be on fault-c');
    await c.kill();
    const final = await watch.untilFinal(run.id).catch((e) => explain(run.id, e));
    expect(final.status).toBe('failed');
    expect(final.error?.code).toBe('worker_lost');
  });

  it('a poison run that kills every worker it touches stops after maxAttempts', async () => {
    const job = await createJob('shell', { script: 'echo "attempt $JOBFLOW_ATTEMPT kills its worker"; kill -9 $PPID; sleep 5' }, { maxAttempts: 3 });
    const { watch, start } = await watchJob(job.id);
    let current = await worker('poison-0');
    const run = await start();
    let respawns = 0;
    const deadline = Date.now() + 150_000;
    try {
      while (!watch.latest(run.id) || !['failed', 'succeeded', 'cancelled'].includes(watch.latest(run.id)!.status)) {
        if (Date.now() > deadline) await explain(run.id, new Error('the poison run did not end within 150 s'));
        if (current.child.exitCode !== null || current.child.signalCode !== null) {
          respawns++;
          expect(respawns, 'workers killed').toBeLessThan(10);
          current = await worker(`poison-${respawns}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      await current.kill();
    }
    const final = watch.latest(run.id)!;
    expect(final.status).toBe('failed');
    expect(final.error?.code).toBe('worker_lost');
    expect(final.attempt).toBe(3);
  });

  it('cancelling a run held by another worker process ends it within 5 s', async () => {
    const d = await worker('fault-d');
    const job = await createJob('shell', { script: 'echo go; sleep 60' });
    const { watch, start } = await watchJob(job.id);
    const run = await start();
    await watch.untilStatus(run.id, 'running').catch((e) => explain(run.id, e));
    await until(async () => (await workerOf(run.id)) === 'fault-d', 'the run to be on fault-d');
    const requested = Date.now();
    expect((await stack.request('POST', `/api/runs/${run.id}/cancel`, { token })).status).toBe(202);
    const final = await watch.untilFinal(run.id).catch((e) => explain(run.id, e));
    expect(final.status).toBe('cancelled');
    expect(Date.now() - requested).toBeLessThan(5000);
    await d.stop();
  });

  it('SIGTERM lets short runs finish and hands long ones back without using up an attempt', async () => {
    const e = await worker('fault-e');
    const short = await createJob('sleep', { seconds: 0.5 });
    const long = await createJob('shell', { script: 'if [ "$JOBFLOW_ATTEMPT" = 1 ]; then sleep 60; fi; echo finished elsewhere' }, { maxAttempts: 1 });
    const s = await watchJob(short.id);
    const l = await watchJob(long.id);
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
