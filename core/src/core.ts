import type { Redis } from 'ioredis';
import { checkSchema, createOrm, type Orm, dbOf, type Db, poolCounts } from './db';
import { createLivePublisher, type LivePublisher } from './live';
import { type Logger, type Metrics, createMetrics, createRedis } from './platform';
import { createNotificationOutbox, createNotificationQueue, type NotificationOutbox } from './notifications';
import { createRunQueue, type RunQueue } from './queue';
import { createRunBatches, type RunBatches, createRunLifecycle, type BackoffOptions, type RunLifecycle, runCounts } from './runs';

export interface CoreOptions {
  databaseUrl: string;
  redisUrl: string;
  redisPrefix: string;
  dbPoolMax: number;
  backoff: BackoffOptions;
  log: Logger;
  /** The process's metrics (default: a registry of its own). */
  metrics?: Metrics;
  /** Wraps the live publisher (e.g. to also nudge schedulers on job changes). */
  decorateLive?: (live: LivePublisher, redis: Redis) => LivePublisher;
}

/** What server and worker processes both stand on: the store, Redis, the run queue, live events and run moves. */
export interface Core {
  orm: Orm;
  db: Db;
  redis: Redis;
  /** Adds runs to the queue (workers consume through a queue of their own). */
  queue: RunQueue;
  live: LivePublisher;
  /** The writes every run makes, grouped across runs. */
  batches: RunBatches;
  lifecycle: RunLifecycle;
  /** Turns run changes into notification deliveries. */
  outbox: NotificationOutbox;
  metrics: Metrics;
  close(): Promise<void>;
}

/** Opens PostgreSQL (checking the schema is there), Redis and the run queue, and wires run moves to live events and notifications. */
export async function openCore(o: CoreOptions): Promise<Core> {
  const orm = await createOrm({ databaseUrl: o.databaseUrl, poolMax: o.dbPoolMax });
  try {
    await checkSchema(orm);
  } catch (e) {
    await orm.close(true);
    throw e;
  }
  const db = dbOf(orm);
  const metrics = o.metrics ?? createMetrics();
  metrics.readFrom({ runs: () => runCounts(db.sql), pool: () => poolCounts(orm) });
  const redis = createRedis(o.redisUrl, (e) => o.log.warn('Redis connection problem', { error: e.message }));
  redis.on('error', metrics.redisErrored);
  const queue = createRunQueue({ redisUrl: o.redisUrl, prefix: o.redisPrefix, role: 'producer' });
  queue.on('error', metrics.redisErrored);
  const plainLive = countingLines(createLivePublisher(redis, o.redisPrefix), metrics);
  const live = o.decorateLive ? o.decorateLive(plainLive, redis) : plainLive;
  const notificationQueue = createNotificationQueue({ redisUrl: o.redisUrl, prefix: o.redisPrefix, role: 'producer' });
  notificationQueue.on('error', metrics.redisErrored);
  const outbox = createNotificationOutbox({ db, log: o.log, redisUrl: o.redisUrl, prefix: o.redisPrefix, queue: notificationQueue });
  const batches = createRunBatches(db);
  const lifecycle = createRunLifecycle({
    db,
    queue,
    live,
    batches,
    backoff: o.backoff,
    onChange: (row) => {
      metrics.runChanged(row);
      outbox.onRunChanged(row);
    },
  });
  return {
    orm,
    db,
    redis,
    queue,
    live,
    batches,
    lifecycle,
    outbox,
    metrics,
    async close() {
      await queue.close(1000).catch(() => {});
      await outbox.close();
      await notificationQueue.close(1000).catch(() => {});
      redis.disconnect();
      await orm.close(true);
    },
  };
}

/** Every stored log line is published once, by the process that stored it: counting there counts each line once. */
function countingLines(live: LivePublisher, metrics: Metrics): LivePublisher {
  return {
    ...live,
    runLog(runId, lines) {
      metrics.logLinesStored(lines.length);
      live.runLog(runId, lines);
    },
  };
}
