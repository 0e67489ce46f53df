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
import { createRunQueue, listenForCancels, withScripts, type RunQueue } from '@jobflow/core/queue';
import { createRetentionSweeper } from '@jobflow/core/runs';
import { createLease } from '@jobflow/core/db';
import { sweepHolderId } from '@jobflow/core/sweeps';
import { startWorkerPresence } from '@jobflow/core/workers';
import { version } from '../package.json';
import type { WorkerConfig } from './config';
import { createHandlers } from './job-types/catalog';
import { AttemptAborted } from './runs/attempt-abort';
import { createRunExecutor } from './runs/run-executor';
import { createNotifier, NOTIFICATION_SWEEP_MS } from './notifications/index';
import { startScheduler } from './schedules/index';

export interface Worker {
  workerId: string;
  /** The worker's logger (its lines carry the worker's id). */
  log: Logger;
  metrics: Metrics;
  /** Ready while PostgreSQL and Redis answer and the worker is not shutting down (a draining worker stays ready). */
  readiness(): Promise<Readiness>;
  /** Whether the worker has stopped taking runs because an admin asked it to drain. */
  readonly isDraining: boolean;
  /** Stops taking runs, lets running ones finish within the grace period, then hands the rest back. */
  close(): Promise<void>;
}

/** How long a drained consumer waits for the runs it holds (Bee-Queue closes it after them, or after this). */
const DRAIN_WAIT_MS = 24 * 3600_000;

/** Resolves when `promise` settles or after `ms`, whichever comes first. */
const settledWithin = (promise: Promise<unknown>, ms: number) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    void promise
      .catch(() => {})
      .finally(() => {
        clearTimeout(timer);
        resolve();
      });
  });

/** Starts a worker process's machinery: queue consumer, cancel listener, heartbeat, registry presence, notifier, scheduler and its part in the sweeps. */
export async function createWorker(config: WorkerConfig): Promise<Worker> {
  const workerId = config.workerId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const log = createLogger('worker', config.logLevel, { format: config.logFormat }).child({ workerId });
  const keys = redisKeys(config.redisPrefix);
  const metrics = createMetrics('worker');
  const core = await openCore({ ...config, log, metrics, sweepHolder: sweepHolderId('worker', workerId) });
  const { db, redis, runs, sweeper } = core;
  const subscriber = createRedis(config.redisConnection);
  subscriber.on('error', metrics.redisErrored);
  // Every outbound request a user can cause (job types and notifications) goes through this one policy.
  const egress = createEgress({ allowCidrs: config.egressAllowCidrs, allowedHosts: config.httpAllowedHosts });
  const keyring = createKeyring(config.secrets);
  const executor = createRunExecutor({
    runs,
    artifacts: core.artifacts,
    config,
    log,
    workerId,
    handlers: createHandlers(egress, { patternBudgetMs: config.dataCheckPatternBudgetMs }),
    keyring,
  });
  let isShuttingDown = false;

  const beat = () => redis.set(keys.worker(workerId), String(Date.now()), 'PX', config.heartbeatMs * 3).catch(() => {});
  await beat();
  const heartbeat = setInterval(beat, config.heartbeatMs);

  await listenForCancels(
    subscriber,
    config.redisPrefix,
    ({ runId, attempt, message }) => executor.abort(runId, attempt, new AttemptAborted('cancel', message)),
    () => log.warn('ignoring a malformed cancel message'),
  );

  // The consumer taking runs; none while draining. A drained consumer closes once the runs it holds end.
  let consumer: RunQueue | null = null;
  const closing = new Set<Promise<void>>();
  const startTaking = async () => {
    const taking = createRunQueue({ redis: config.redisConnection, prefix: config.redisPrefix, role: 'worker', stallIntervalMs: config.stallIntervalMs });
    taking.on('error', (e) => {
      metrics.redisErrored();
      if (/NOSCRIPT/.test(e.message)) void withScripts(taking, () => Promise.resolve()).catch(() => {});
    });
    await taking.ready();
    taking.process(config.concurrency, (job) => executor.process(job));
    consumer = taking;
  };
  const stopTaking = (waitMs: number): Promise<void> => {
    const taking = consumer;
    consumer = null;
    if (!taking) return Promise.resolve();
    const closed = taking.close(waitMs).then(
      () => {},
      () => {},
    );
    closing.add(closed);
    void closed.finally(() => closing.delete(closed));
    return closed;
  };
  const stallTimer = setInterval(() => {
    const taking = consumer;
    if (!taking) return;
    withScripts(taking, () => taking.checkStalledJobs()).catch((e) => log.debug('stall check failed', { error: (e as Error).message }));
  }, config.stallIntervalMs);
  const presence = await startWorkerPresence({
    db,
    subscriber,
    prefix: config.redisPrefix,
    live: core.live,
    log,
    identity: {
      id: workerId,
      name: config.workerName ?? `${hostname()}-${process.pid}`,
      host: hostname(),
      pid: process.pid,
      version,
      concurrency: config.concurrency,
      heartbeatMs: config.heartbeatMs,
    },
    // Draining closes the consumer (Bee-Queue takes no new job and lets those it holds finish); resuming opens a new one.
    applyDraining: async (isDraining) => {
      if (isShuttingDown) return;
      if (isDraining) void stopTaking(DRAIN_WAIT_MS);
      else if (!consumer) await startTaking();
    },
  });

  const notifier = createNotifier({ config, db, runs, log, metrics, outbox: core.outbox, egress, keyring });
  await notifier.start();
  sweeper.every('notifications', NOTIFICATION_SWEEP_MS, notifier.sweep);
  const scheduler = await startScheduler({ config, db, runs, live: core.live, log, metrics, sweeper });
  const retention = createRetentionSweeper({
    db,
    lease: createLease(db, 'run-retention', workerId, Math.max(60_000, config.retention.intervalMs * 2)),
    log,
    options: config.retention,
    removeDeletedContent: () => core.artifacts.removeDeletedObjects(),
  });
  retention.start();
  await sweeper.start();
  log.info('worker started', { concurrency: config.concurrency });

  return {
    workerId,
    log,
    metrics,
    get isDraining() {
      return presence.isDraining;
    },
    readiness: () =>
      checkReadiness({
        postgres: () => db.ping(),
        redis: () => redis.ping(),
        drainingAs: isShuttingDown ? 'the worker is shutting down' : null,
      }),
    async close() {
      isShuttingDown = true;
      clearInterval(stallTimer);
      await scheduler.stop();
      // Hands the sweep leases over before waiting for running runs, so another process sweeps meanwhile.
      await sweeper.stop();
      await retention.stop();
      await settledWithin(Promise.all([stopTaking(config.shutdownGraceMs), ...closing]), config.shutdownGraceMs);
      for (const [runId, entry] of executor.active) {
        executor.abort(runId, entry.attempt, new AttemptAborted('shutdown', 'the worker is shutting down'));
      }
      await Promise.all([...executor.active.values()].map((a) => a.done));
      await Promise.all(closing);
      await presence.stop();
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
