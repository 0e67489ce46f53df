import { createRequire } from 'node:module';
import BeeQueue from 'bee-queue';
import { createBatcher } from '../db';
import { redisKeys, type RedisConnection } from '../platform';

const require = createRequire(import.meta.url);
const lua = require('bee-queue/lib/lua/index.js') as { buildCache(client: unknown): Promise<unknown> };

/** What a queued Bee-Queue job carries: which attempt of which run to execute. */
export interface RunJobData {
  runId: string;
  attempt: number;
}

export type RunQueue = BeeQueue<RunJobData>;

export const RUN_QUEUE_NAME = 'runs';

/**
 * A job whose run cannot start yet (its job is at `maxConcurrentRuns`) is
 * offered again after a delay that grows from 250 ms to 2 s, so a long line
 * of waiting runs costs little.
 */
const DEFERRAL_BACKOFF = 'jobflow-deferral';
const MAX_DEFERRALS = 1_000_000;
const DEFERRAL_BASE_MS = 250;
const DEFERRAL_CAP_MS = 2000;

/** One Bee-Queue job per attempt, so a stale delivery can be told from the current one. */
export const queueJobId = (runId: string, attempt: number) => `${runId}.${attempt}`;

export interface QueueOptions {
  redis: RedisConnection;
  prefix: string;
  /** Workers process jobs and activate delayed ones; producers only add. */
  role: 'producer' | 'worker';
  stallIntervalMs?: number;
}

/**
 * A Bee-Queue named `name` on `redis`, set up the way every Jobflow queue
 * is: jobs live in Redis only until processed, no per-job events, delayed jobs
 * activated by workers. Bee-Queue keeps its Lua script hashes for the life of
 * the process and never reloads them, so after Redis restarts (and forgets its
 * scripts) every `ready` reloads them here.
 */
export function createBeeQueue<T>(name: string, { redis, prefix, role, stallIntervalMs = 5000 }: QueueOptions): BeeQueue<T> {
  const isWorker = role === 'worker';
  const queue = new BeeQueue<T>(name, {
    prefix: redisKeys(prefix).queue,
    redis: beeQueueRedisOptions(redis) as never,
    isWorker,
    getEvents: false,
    sendEvents: false,
    storeJobs: false,
    activateDelayedJobs: isWorker,
    removeOnSuccess: true,
    removeOnFailure: true,
    stallInterval: stallIntervalMs,
  });
  queue.on('error', () => {});
  void queue.ready().then(() => {
    const client = (queue as unknown as { client: NodeJS.EventEmitter & RedisWriter }).client;
    client.on('ready', () => void lua.buildCache(client).catch(() => {}));
    writeOncePerTurn(client);
  });
  return queue;
}

/**
 * Bee-Queue opens its clients itself (with the `redis` package, not ioredis)
 * from options: the same host, login, database and TLS as every other client.
 */
function beeQueueRedisOptions({ host, port, db, username, password, tls }: RedisConnection) {
  return {
    host,
    port,
    db,
    ...(username ? { user: username } : {}),
    ...(password ? { password } : {}),
    ...(tls ? { tls } : {}),
    retry_strategy: ({ attempt }: { attempt: number }) => Math.min(attempt * 200, 2000),
  };
}

/** The part of Bee-Queue's redis client (node_redis 3) that writes a command to its connection. */
interface RedisWriter {
  stream: NodeJS.WritableStream & { cork(): void; uncork(): void };
  write(data: string | Buffer): void;
}

/**
 * Makes the commands a node_redis client sends within one turn of the event
 * loop (its microtasks included) leave in one socket write. Bee-Queue sends
 * each command of each job on its own (fetch the job, clear its stall mark,
 * finish it), which under load is a write system call per command; corked
 * until the turn's ticks are done, the commands of every job moving in that
 * turn go out together. Order, and so the matching of replies, is unchanged.
 */
function writeOncePerTurn(client: RedisWriter): void {
  const write = client.write;
  // A cork of its own, on top of any the client holds (a MULTI corks while it writes, then uncorks at once).
  let corked: RedisWriter['stream'] | null = null;
  client.write = function (this: RedisWriter, data) {
    const stream = this.stream;
    if (corked !== stream) {
      corked = stream;
      stream.cork();
      process.nextTick(() => {
        corked = null;
        stream.uncork();
      });
    }
    write.call(this, data);
  };
}

/** The run queue: one job per attempt of a run. */
export function createRunQueue(opts: QueueOptions): RunQueue {
  const queue = createBeeQueue<RunJobData>(RUN_QUEUE_NAME, opts);
  queue.backoffStrategies.set(DEFERRAL_BACKOFF, (job) => {
    const deferrals = MAX_DEFERRALS - (job.options as { retries: number }).retries;
    return Math.min(DEFERRAL_CAP_MS, DEFERRAL_BASE_MS * 2 ** Math.min(deferrals, 10));
  });
  return queue;
}

/** Reloads Bee-Queue's scripts after a NOSCRIPT error and tries `op` once more. */
export async function withScripts<T>(queue: object, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (e) {
    if (!/NOSCRIPT/.test(String((e as Error)?.message))) throw e;
    await lua.buildCache((queue as unknown as { client: unknown }).client);
    return op();
  }
}

/** Which of the jobs `jobIds` Redis still holds (false once processed, or after Redis lost its data): one command for all of them. */
export function hasJobs(queue: object, jobIds: string[]): Promise<boolean[]> {
  if (jobIds.length === 0) return Promise.resolve([]);
  const q = queue as unknown as {
    client: { hmget(k: string, fields: string[], cb: (e: Error | null, values: (string | null)[]) => void): void };
    toKey(k: string): string;
  };
  return new Promise((resolve, reject) => q.client.hmget(q.toKey('jobs'), jobIds, (e, values) => (e ? reject(e) : resolve(values.map((v) => v != null)))));
}

/** The queue job of one attempt of a run, optionally not before `notBefore`. */
function attemptJob(queue: RunQueue, runId: string, attempt: number, notBefore?: Date | string | null): BeeQueue.Job<RunJobData> {
  const job = queue
    .createJob({ runId, attempt })
    .setId(queueJobId(runId, attempt))
    .retries(MAX_DEFERRALS)
    .backoff(DEFERRAL_BACKOFF as 'fixed', DEFERRAL_BASE_MS);
  const at = notBefore ? new Date(notBefore).getTime() : 0;
  if (at > Date.now()) job.delayUntil(at);
  return job;
}

export interface AttemptToEnqueue {
  runId: string;
  attempt: number;
  notBefore?: Date | string | null;
}

/**
 * Puts attempts of runs on the queue, each optionally not before its
 * `notBefore`. Attempts enqueued while a batch is on its way to Redis go
 * together in one pipeline (one round trip for many runs). Adding the same
 * attempt twice is a no-op while its job is still in Redis.
 */
export function createEnqueuer(queue: RunQueue): (attempt: AttemptToEnqueue) => Promise<void> {
  return createBatcher<AttemptToEnqueue, void>({
    maxBatch: 500,
    maxInFlight: 2,
    run: (items) =>
      withScripts(queue, async () => {
        const errors = await queue.saveAll(items.map((i) => attemptJob(queue, i.runId, i.attempt, i.notBefore)));
        if (errors.size) throw errors.values().next().value;
        return items.map(() => undefined);
      }),
  });
}

/** Removes a queued attempt's job (a cancelled run). */
export async function dequeueRun(queue: RunQueue, runId: string, attempt: number): Promise<void> {
  await withScripts(queue, () => queue.removeJob(queueJobId(runId, attempt)).then(() => undefined));
}

/** Which of these attempts Redis still holds (false after Redis lost its data), in one round trip. */
export const areEnqueued = (queue: RunQueue, attempts: { runId: string; attempt: number }[]): Promise<boolean[]> =>
  hasJobs(
    queue,
    attempts.map((a) => queueJobId(a.runId, a.attempt)),
  );
