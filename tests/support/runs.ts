import type { LogLineDto, LogPageDto, RunDto, StartRunBody } from '@jobflow/shared';
import { createRedis, redisKeys } from '@jobflow/core/platform';
import { queueJobId } from '@jobflow/core/queue';
import { collectRun, subscribe } from './live';
import type { Proc } from './processes';
import type { Stack } from './stack';

/** Every stored line of a run, as `GET /api/runs/:id/logs` returns them, page after page. */
export async function storedLines(stack: Stack, runId: string): Promise<LogLineDto[]> {
  const lines: LogLineDto[] = [];
  for (let after = 0; ;) {
    const page = (await stack.request<LogPageDto>('GET', `/api/runs/${runId}/logs?after=${after}&limit=5000`, { token: stack.admin.token })).body;
    if (page.items.length === 0) return lines;
    lines.push(...page.items);
    after = page.nextAfter;
  }
}

/**
 * Starts a run of `jobId` and follows it live to its end: every snapshot a
 * well-behaved client keeps, the final one, and the stored lines.
 */
export async function runToEnd(stack: Stack, jobId: string, body: StartRunBody = {}) {
  const socket = stack.connect(stack.admin.token);
  const watch = collectRun(socket);
  await subscribe(socket, { topic: 'job', jobId });
  const run = await stack.startRun(jobId, body);
  await subscribe(socket, { topic: 'run', runId: run.id, afterSeq: 0 });
  watch.seed(await stack.getRun(run.id));
  const final = await watch.untilFinal(run.id, 60_000);
  const logs = await storedLines(stack, run.id);
  socket.disconnect();
  return { run, final, updates: watch.updates(run.id), logs };
}

/** Watches a job's room; `start` starts a run of it. */
export async function watchJob(stack: Stack, jobId: string) {
  const socket = stack.connect(stack.admin.token);
  const watch = collectRun(socket);
  await subscribe(socket, { topic: 'job', jobId });
  const start = (body: StartRunBody = {}): Promise<RunDto> => stack.startRun(jobId, body);
  return { watch, start };
}

/**
 * Rethrows `error` with what PostgreSQL and Redis hold for the run and what
 * `procs` printed, so a failure says where the run got stuck.
 */
export async function explain(stack: Stack, runId: string, procs: Proc[], error: Error): Promise<never> {
  const [row] = await stack.sql<{ attempt: number }>('select status, attempt, worker_id, queue_job_id, cancel_requested_at from runs where id = $1', [runId]);
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
    const outputs = procs.map(
      (p) => `--- ${p.child.spawnargs.join(' ')} (exit ${p.child.exitCode ?? p.child.signalCode ?? 'running'})\n${p.output().slice(-3000)}`,
    );
    error.message += `\nrun: ${JSON.stringify(row)}\nqueue: waiting ${JSON.stringify(waiting)} active ${JSON.stringify(active)} stalling ${JSON.stringify(stalling)} job ${job}\n${outputs.join('\n')}`;
  } finally {
    redis.disconnect();
  }
  throw error;
}

/** The worker holding the run now (null when none does). */
export const workerOf = async (stack: Stack, runId: string) =>
  (await stack.sql<{ worker_id: string | null }>('select worker_id from runs where id = $1', [runId]))[0]?.worker_id ?? null;
