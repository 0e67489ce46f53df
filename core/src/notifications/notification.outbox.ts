import type { NotificationEvent } from '@jobflow/shared';
import type { Db } from '../db';
import type { Logger, RedisConnection } from '../platform';
import { toRunDto, type RunEngine, type RunRow } from '../runs';
import { deliveryStore } from './notification-deliveries.queries';
import type { StoredNotificationTarget } from './notification-target';
import { createNotificationQueue, enqueueDelivery, type NotificationQueue } from './notification.queue';

/** Runs that ended at most this long ago are checked for deliveries never opened. */
const RECOVERY_HORIZON_MS = 10 * 60_000;
const RECOVERY_BATCH = 500;

/**
 * Turns run events into queued deliveries: it listens to the run engine's
 * `run.started` (first attempts) and `run.ended`, returns at once and does
 * its work in the background, so a run never waits for a notification. A
 * process that stops between storing a run's end and opening its deliveries
 * leaves them to `recoverMissed`, which any notifier runs from time to time.
 */
export function createNotificationOutbox(deps: {
  db: Db;
  runs: RunEngine;
  log: Logger;
  redisConnection: RedisConnection;
  prefix: string;
  queue?: NotificationQueue;
}) {
  const { db, log } = deps;
  const queue = deps.queue ?? createNotificationQueue({ redis: deps.redisConnection, prefix: deps.prefix, role: 'producer' });
  const ownsQueue = !deps.queue;
  const inFlight = new Set<Promise<void>>();

  async function open(row: RunRow, event: NotificationEvent): Promise<void> {
    const stored = (row.job_notifications as StoredNotificationTarget[] | undefined) ?? (await deliveryStore.jobTargets(db.sql, row.job_id));
    const targets = stored.filter((t) => t.on.includes(event));
    if (targets.length === 0) return;
    const opened = await deliveryStore.open(db.sql, toRunDto(row), event, targets);
    for (const targetId of opened) {
      // If Redis is down the delivery stays pending in PostgreSQL and a notifier's sweep enqueues it later.
      await enqueueDelivery(queue, { runId: row.id, targetId, event, attempt: 1 }).catch((e) =>
        log.warn('could not enqueue a notification; it will be retried', { runId: row.id, targetId, error: (e as Error).message }),
      );
    }
  }

  function openInBackground(row: RunRow, event: NotificationEvent): void {
    const work = open(row, event)
      .catch((e) => log.warn('could not record notifications for a run change', { runId: row.id, error: (e as Error).message }))
      .finally(() => inFlight.delete(work));
    inFlight.add(work);
  }

  deps.runs.events.on('run.started', ({ row }) => {
    if (row.attempt === 1) openInBackground(row, 'started');
  });
  deps.runs.events.on('run.ended', ({ row }) => {
    if (row.status !== 'queued' && row.status !== 'running') openInBackground(row, row.status);
  });

  return {
    queue,
    /**
     * Opens the deliveries of run ends that were stored but never recorded
     * here (their process stopped in between): runs that ended between
     * RECOVERY_HORIZON_MS and `graceMs` ago (see `unopenedRunEnds`).
     * Opening is idempotent, so every notifier may run this at once.
     * (`started` is not recovered: by now the run has moved on.) Returns how
     * many runs it looked at.
     */
    async recoverMissed(graceMs: number): Promise<number> {
      const missed = await deliveryStore.unopenedRunEnds(db.sql, RECOVERY_HORIZON_MS, graceMs, RECOVERY_BATCH);
      for (const { id } of missed) {
        const row = await deps.runs.get(id);
        if (row && row.status !== 'queued' && row.status !== 'running') await open(row, row.status);
      }
      return missed.length;
    },
    /** Waits for changes already seen to be recorded, then closes the queue connection. */
    async close(): Promise<void> {
      await Promise.allSettled([...inFlight]);
      if (ownsQueue) await queue.close(1000).catch(() => {});
    },
  };
}

export type NotificationOutbox = ReturnType<typeof createNotificationOutbox>;
