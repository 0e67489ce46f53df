import type { Redis } from 'ioredis';
import { createArtifacts, type Artifacts, type ArtifactsOptions } from './artifacts';
import { checkSchema, createDb, createOrm, type Db, type DbOptions, type Orm } from './db';
import { createLivePublisher, type LivePublisher } from './live';
import { type Logger, type Metrics, type RedisConnection, createMetrics, createRedis } from './platform';
import { createNotificationOutbox, createNotificationQueue, type NotificationOutbox } from './notifications';
import { createCancelSender, createRunQueue, type RunQueue } from './queue';
import { countRuns, createReconciler, createRunEngine, type BackoffOptions, type ReconcilerOptions, type RunEngine } from './runs';
import { createSweeper, sweepHolderId, type Sweeper } from './sweeps';

/** MikroORM's connections at most: it serves the definitions people edit (one record at a time), not the engine. */
const ORM_POOL_MAX = 4;

const DEFAULT_ARTIFACTS: ArtifactsOptions = { store: 'postgres', maxBytes: 512 * 1024 * 1024, maxRunBytes: 2 * 1024 * 1024 * 1024 };

export interface CoreOptions {
  databaseUrl: string;
  dbPoolMax: number;
  /** false behind a pooler in transaction mode: statements run unnamed. */
  dbPreparedStatements?: boolean;
  /** TLS for both database pools (see `DbOptions.ssl`; parsed from `databaseUrl` when left out). */
  dbSsl?: DbOptions['ssl'];
  /** Where Redis is, how to log in, and TLS (see `redisConnection`). */
  redisConnection: RedisConnection;
  redisPrefix: string;
  backoff: BackoffOptions;
  cancelGraceMs: number;
  reconcile: ReconcilerOptions;
  /** How long a sweep lease lasts unrenewed (see `createSweeper`). */
  sweepLeaseMs: number;
  /** This process as the sweep leases name it (default: `sweepHolderId('process')`). */
  sweepHolder?: string;
  log: Logger;
  /** The process's metrics (default: a registry of its own). */
  metrics?: Metrics;
  /** Where artifacts are stored and how big they may be (default: PostgreSQL, 512 MiB a file, 2 GiB a run). */
  artifacts?: ArtifactsOptions;
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
  /** Files runs attach: stored, listed, read and deleted here only. */
  artifacts: Artifacts;
  /**
   * The periodic sweeps, each run by one process of the install at a time;
   * the run reconciler is registered. The process adds its own sweeps and
   * starts it; `close()` stops it (handing its leases over) before anything else.
   */
  sweeper: Sweeper;
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
  const redis = createRedis(o.redisConnection, (e) => o.log.warn('Redis connection problem', { error: e.message }));
  redis.on('error', metrics.redisErrored);
  const queue = createRunQueue({ redis: o.redisConnection, prefix: o.redisPrefix, role: 'producer' });
  queue.on('error', metrics.redisErrored);
  const plainLive = createLivePublisher(redis, o.redisPrefix);
  const live = o.decorateLive ? o.decorateLive(plainLive, redis) : plainLive;
  const notificationQueue = createNotificationQueue({ redis: o.redisConnection, prefix: o.redisPrefix, role: 'producer' });
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
  const artifacts = createArtifacts({ db, live, options: o.artifacts ?? DEFAULT_ARTIFACTS });
  const outbox = createNotificationOutbox({ db, runs, log: o.log, redisConnection: o.redisConnection, prefix: o.redisPrefix, queue: notificationQueue });
  const sweeper = createSweeper({ db, holder: o.sweepHolder ?? sweepHolderId('process'), log: o.log, options: { leaseMs: o.sweepLeaseMs } });
  const reconciler = createReconciler({ db, redis, queue, runs, prefix: o.redisPrefix, log: o.log, options: o.reconcile });
  sweeper.every('reconcile', o.reconcile.intervalMs, reconciler.sweep);
  metrics.readFrom({ sweepLeases: sweeper.held });
  return {
    orm,
    db,
    redis,
    queue,
    live,
    runs,
    outbox,
    artifacts,
    sweeper,
    metrics,
    async close() {
      await sweeper.stop();
      runs.close();
      await artifacts.close();
      await queue.close(1000).catch(() => {});
      await outbox.close();
      await notificationQueue.close(1000).catch(() => {});
      redis.disconnect();
      await db.close();
      await orm.close(true);
    },
  };
}
