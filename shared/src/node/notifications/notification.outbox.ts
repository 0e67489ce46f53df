import type { Db } from '../db-access';
import type { Logger } from '../logger';
import { toRunDto, type RunRow } from '../runs/run.store';
import { deliveryStore } from './notification-delivery.store';
import { notificationEventOf, type StoredNotificationTarget } from './notification-target';
import { createNotificationQueue, enqueueDelivery, type NotificationQueue } from './notification.queue';

/**
 * Turns stored run changes into queued deliveries. `onRunChanged` is the run
 * lifecycle's `onChange`: it returns at once and does its work in the
 * background, so a run never waits for a notification.
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
    /** Waits for changes already seen to be recorded, then closes the queue connection. */
    async close(): Promise<void> {
      await Promise.allSettled([...inFlight]);
      if (ownsQueue) await queue.close(1000).catch(() => {});
    },
  };
}

export type NotificationOutbox = ReturnType<typeof createNotificationOutbox>;
