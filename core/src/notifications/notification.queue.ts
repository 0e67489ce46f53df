import type BeeQueue from 'bee-queue';
import type { NotificationEvent } from '@jobflow/shared';
import { createBeeQueue, hasJobs, withScripts, type QueueOptions } from '../queue';

/** One attempt at sending one run event to one target. */
export interface DeliveryJobData {
  runId: string;
  targetId: string;
  event: NotificationEvent;
  /** 1, 2, 3, ...: each retry is a job of its own, delayed by the backoff. */
  attempt: number;
}

export type NotificationQueue = BeeQueue<DeliveryJobData>;

export const NOTIFICATION_QUEUE_NAME = 'notifications';

/** Names one delivery: one event of one run to one target. */
export const deliveryKey = (d: Omit<DeliveryJobData, 'attempt'>) => `${d.runId}.${d.targetId}.${d.event}`;

/** The same attempt of the same delivery is one queue job, however often it is added. */
export const deliveryJobId = (d: Omit<DeliveryJobData, 'attempt'>, attempt: number) => `${deliveryKey(d)}.${attempt}`;

/** A Bee-Queue for deliveries, beside the run queue under the same prefix. */
export const createNotificationQueue = (opts: QueueOptions): NotificationQueue => createBeeQueue<DeliveryJobData>(NOTIFICATION_QUEUE_NAME, opts);

/** Puts one attempt of a delivery on the queue, optionally not before `notBeforeMs`. */
export async function enqueueDelivery(queue: NotificationQueue, data: DeliveryJobData, notBeforeMs = 0): Promise<void> {
  await withScripts(queue, async () => {
    const job = queue.createJob(data).setId(deliveryJobId(data, data.attempt));
    if (notBeforeMs > Date.now()) job.delayUntil(notBeforeMs);
    await job.save();
  });
}

/** Which of these attempts' jobs Redis still holds (false after Redis lost its data), in one round trip. */
export const areDeliveriesEnqueued = (queue: NotificationQueue, deliveries: DeliveryJobData[]): Promise<boolean[]> =>
  hasJobs(
    queue,
    deliveries.map((d) => deliveryJobId(d, d.attempt)),
  );
