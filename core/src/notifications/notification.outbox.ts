import type { Db } from '../db';
import type { Logger } from '../platform';
import { runStore, toRunDto, type RunRow } from '../runs';
import { deliveryStore } from './notification-delivery.store';
import { notificationEventOf, type StoredNotificationTarget } from './notification-target';
import { createNotificationQueue, enqueueDelivery, type NotificationQueue } from './notification.queue';

/** Runs that ended at most this long ago are checked for deliveries never opened. */
const RECOVERY_HORIZON_MS = 10 * 60_000;
const RECOVERY_BATCH = 500;

/**
 * Turns stored run changes into queued deliveries. `onRunChanged` is the run
 * lifecycle's `onChange`: it returns at once and does its work in the
 * background, so a run never waits for a notification. A process that stops
 * between storing a run's end and opening its deliveries leaves them to
 * `recoverMissed`, which any notifier runs from time to time.
 */
export function createNotificationOutbox(deps: { db: Db; log: Logger; redisUrl: string; prefix: string; queue?: NotificationQueue }) {
  const { db, log } = deps;
  const queue = deps.queue ?? createNotificationQueue({ redisUrl: deps.redisUrl, prefix: deps.prefix, role: 'producer' });
  const ownsQueue = !deps.queue;
  const inFlight = new Set<Promise<void>>();

  async function open(row: RunRow): Promise<void> {
    const event = notificationEventOf(row);
    if (!event) return;
    const stored =
      (row.job_notifications as StoredNotificationTarget[] | undefined) ??
      (await db.sql<{ notifications: StoredNotificationTarget[] }>(`select notifications from jobs where id = ?`, [row.job_id]))[0]?.notifications ??
      [];
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

  return {
    queue,
    onRunChanged(row: RunRow): void {
      const work = open(row)
        .catch((e) => log.warn('could not record notifications for a run change', { runId: row.id, error: (e as Error).message }))
        .finally(() => inFlight.delete(work));
      inFlight.add(work);
    },
    /**
     * Opens the deliveries of run ends that were stored but never recorded
     * here (their process stopped in between): runs that ended between
     * RECOVERY_HORIZON_MS and `graceMs` ago whose job's targets ask for that
     * end and have no delivery of it; only runs that ended after their job's
     * last change, so a target added later is not told of earlier runs.
     * Opening is idempotent, so every notifier may run this at once.
     * (`started` is not recovered: by now the run has moved on.) Returns how
     * many runs it looked at.
     */
    async recoverMissed(graceMs: number): Promise<number> {
      const missed = await db.sql<{ id: string }>(
        `select r.id from runs r join jobs j on j.id = r.job_id
         where r.finished_at > now() - ? * interval '1 millisecond' and r.finished_at < now() - ? * interval '1 millisecond'
           and r.status in ('succeeded', 'failed', 'cancelled')
           and j.updated_at <= r.finished_at
           and exists (select 1 from jsonb_array_elements(j.notifications) t
                       where t->'on' @> jsonb_build_array(r.status::text)
                         and not exists (select 1 from notification_deliveries d
                                         where d.run_id = r.id and d.target_id = t->>'id' and d.event = r.status::text))
         order by r.finished_at limit ?`,
        [RECOVERY_HORIZON_MS, graceMs, RECOVERY_BATCH],
      );
      for (const { id } of missed) {
        const row = await runStore.get(db.sql, id);
        if (row) await open(row);
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
