import type { Redis } from 'ioredis';
import { checkSchema, createDb, createOrm, type Db, type DbOptions, type Orm } from './db';
import { createLivePublisher, type LivePublisher } from './live';
import { type Logger, type Metrics, createMetrics, createRedis } from './platform';
import { createNotificationOutbox, createNotificationQueue, type NotificationOutbox } from './notifications';
import { createCancelSender, createRunQueue, type RunQueue } from './queue';
import { countRuns, createRunEngine, type BackoffOptions, type RunEngine } from './runs';

/** MikroORM's connections at most: it serves the definitions people edit (one record at a time), not the engine. */
const ORM_POOL_MAX = 4;

export interface CoreOptions {
  databaseUrl: string;
  dbPoolMax: number;
  /** false behind a pooler in transaction mode: statements run unnamed. */
  dbPreparedStatements?: boolean;
  /** TLS for both database pools (see `DbOptions.ssl`). */
  dbSsl?: DbOptions['ssl'];
  redisUrl: string;
  redisPrefix: string;
  backoff: BackoffOptions;
  cancelGraceMs: number;
  log: Logger;
  /** The process's metrics (default: a registry of its own). */
  metrics?: Metrics;
  /** Wraps the live publisher (e.g. to also nudge schedulers on job changes). */
  decorateLive?: (live: LivePublisher, redis: Redis) => LivePublisher;
}

/** What server and worker processes both stand on: the store, Redis, the run queue, live events and the run engine. */
export interface Core {
  /** MikroORM, for the definitions people edit (users, jobs). */
  orm: Orm;
  /** The pool of the hand-written statements. */
  db: Db;
  redis: Redis;
  /** Adds runs to the queue (workers consume through a queue of their own). */
  queue: RunQueue;
  live: LivePublisher;
  /** The one writer of run state. */
  runs: RunEngine;
  /** Turns run events into notification deliveries. */
  outbox: NotificationOutbox;
  metrics: Metrics;
  close(): Promise<void>;
}

/**
 * Opens PostgreSQL (checking the schema is there), Redis and the run queue,
 * builds the run engine and subscribes what follows a run change, in this
 * order: live events first (every stored change and line, to every server's
 * sockets), then notifications (a first attempt started, a run ended).
 */
export async function openCore(o: CoreOptions): Promise<Core> {
  const connection: DbOptions = { databaseUrl: o.databaseUrl, poolMax: o.dbPoolMax, ssl: o.dbSsl, usePreparedStatements: o.dbPreparedStatements };
  const orm = await createOrm({ ...connection, poolMax: Math.min(o.dbPoolMax, ORM_POOL_MAX) });
  try {
    await checkSchema(orm);
  } catch (e) {
    await orm.close(true);
    throw e;
  }
  const db = createDb(connection);
  const metrics = o.metrics ?? createMetrics();
  metrics.readFrom({ runs: () => countRuns(db.sql), pool: () => db.poolCounts() });
  const redis = createRedis(o.redisUrl, (e) => o.log.warn('Redis connection problem', { error: e.message }));
  redis.on('error', metrics.redisErrored);
  const queue = createRunQueue({ redisUrl: o.redisUrl, prefix: o.redisPrefix, role: 'producer' });
  queue.on('error', metrics.redisErrored);
  const plainLive = createLivePublisher(redis, o.redisPrefix);
  const live = o.decorateLive ? o.decorateLive(plainLive, redis) : plainLive;
  const notificationQueue = createNotificationQueue({ redisUrl: o.redisUrl, prefix: o.redisPrefix, role: 'producer' });
  notificationQueue.on('error', metrics.redisErrored);
  const runs = createRunEngine({
    db,
    queue,
    sendCancel: createCancelSender(redis, o.redisPrefix),
    backoff: o.backoff,
    cancelGraceMs: o.cancelGraceMs,
    log: o.log,
  });
  runs.events.on('run.stored', ({ run }) => live.runUpdated(run));
  runs.events.on('run.logged', ({ runId, lines }) => {
    // Every stored line is announced once, by the process that stored it: counting here counts each line once.
    metrics.logLinesStored(lines.length);
    live.runLog(runId, lines);
  });
  runs.events.on('run.started', ({ row }) => metrics.runChanged(row));
  runs.events.on('run.stored', ({ row }) => {
    if (row.status === 'queued' && row.attempt > 1) metrics.runChanged(row); // a retry: the next attempt is queued
  });
  runs.events.on('run.ended', ({ row }) => metrics.runChanged(row));
  const outbox = createNotificationOutbox({ db, runs, log: o.log, redisUrl: o.redisUrl, prefix: o.redisPrefix, queue: notificationQueue });
  return {
    orm,
    db,
    redis,
    queue,
    live,
    runs,
    outbox,
    metrics,
    async close() {
      runs.close();
      await queue.close(1000).catch(() => {});
      await outbox.close();
      await notificationQueue.close(1000).catch(() => {});
      redis.disconnect();
      await db.close();
      await orm.close(true);
    },
  };
}
