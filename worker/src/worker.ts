import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { openCore } from '@jobflow/core';
import {
  type Logger,
  type Metrics,
  type Readiness,
  checkReadiness,
  createEgress,
  createKeyring,
  createLogger,
  createMetrics,
  createRedis,
  redisKeys,
} from '@jobflow/core/platform';
import { createRunQueue, listenForCancels, withScripts } from '@jobflow/core/queue';
import { createReconciler } from '@jobflow/core/runs';
import type { WorkerConfig } from './config';
import { createHandlers } from './job-types/catalog';
import { AttemptAborted } from './runs/attempt-abort';
import { createRunExecutor } from './runs/run-executor';
import { createNotifier } from './notifications/index';
import { startScheduler } from './schedules/index';

export interface Worker {
  workerId: string;
  /** The worker's logger (its lines carry the worker's id). */
  log: Logger;
  metrics: Metrics;
  /** Ready while PostgreSQL and Redis answer and the worker is not shutting down. */
  readiness(): Promise<Readiness>;
  /** Stops taking runs, lets running ones finish within the grace period, then hands the rest back. */
  close(): Promise<void>;
}

/** Starts a worker process's machinery: queue consumer, cancel listener, heartbeat, reconciler. */
export async function createWorker(config: WorkerConfig): Promise<Worker> {
  const workerId = config.workerId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const log = createLogger('worker', config.logLevel, { format: config.logFormat }).child({ workerId });
  const keys = redisKeys(config.redisPrefix);
  const metrics = createMetrics('worker');
  const core = await openCore({ ...config, log, metrics });
  const { db, redis, queue: producer, runs } = core;
  const subscriber = createRedis(config.redisUrl);
  subscriber.on('error', metrics.redisErrored);
  const consumer = createRunQueue({ redisUrl: config.redisUrl, prefix: config.redisPrefix, role: 'worker', stallIntervalMs: config.stallIntervalMs });
  // Every outbound request a user can cause (job types and notifications) goes through this one policy.
  const egress = createEgress({ allowCidrs: config.egressAllowCidrs, allowedHosts: config.httpAllowedHosts });
  const keyring = createKeyring(config.secrets);
  const executor = createRunExecutor({
    runs,
    config,
    log,
    workerId,
    handlers: createHandlers(egress, { patternBudgetMs: config.dataCheckPatternBudgetMs }),
    keyring,
  });
  let isDraining = false;

  const beat = () => redis.set(keys.worker(workerId), String(Date.now()), 'PX', config.heartbeatMs * 3).catch(() => {});
  await beat();
  const heartbeat = setInterval(beat, config.heartbeatMs);

  await listenForCancels(
    subscriber,
    config.redisPrefix,
    ({ runId, attempt, message }) => executor.abort(runId, attempt, new AttemptAborted('cancel', message)),
    () => log.warn('ignoring a malformed cancel message'),
  );

  consumer.on('error', (e) => {
    metrics.redisErrored();
    if (/NOSCRIPT/.test(e.message)) void withScripts(consumer, () => Promise.resolve()).catch(() => {});
  });
  await consumer.ready();
  consumer.process(config.concurrency, (job) => executor.process(job));
  const stallTimer = setInterval(() => {
    withScripts(consumer, () => consumer.checkStalledJobs()).catch((e) => log.debug('stall check failed', { error: (e as Error).message }));
  }, config.stallIntervalMs);

  const reconciler = createReconciler({ db, redis, queue: producer, runs, prefix: config.redisPrefix, log, options: config.reconcile });
  reconciler.start();
  const notifier = createNotifier({ config, db, runs, log, metrics, outbox: core.outbox, egress, keyring });
  await notifier.start();
  const scheduler = await startScheduler({ config, db, runs, live: core.live, log, metrics });
  log.info('worker started', { concurrency: config.concurrency });

  return {
    workerId,
    log,
    metrics,
    readiness: () =>
      checkReadiness({
        postgres: () => db.ping(),
        redis: () => redis.ping(),
        drainingAs: isDraining ? 'the worker is shutting down' : null,
      }),
    async close() {
      isDraining = true;
      clearInterval(stallTimer);
      await scheduler.stop();
      await reconciler.stop();
      await consumer.close(config.shutdownGraceMs).catch(() => {});
      for (const [runId, entry] of executor.active) {
        executor.abort(runId, entry.attempt, new AttemptAborted('shutdown', 'the worker is shutting down'));
      }
      await Promise.all([...executor.active.values()].map((a) => a.done));
      clearInterval(heartbeat);
      await redis.del(keys.worker(workerId)).catch(() => {});
      await notifier.close();
      await egress.close();
      subscriber.disconnect();
      await core.close();
      log.info('worker stopped');
    },
  };
}
