import { createRequire } from 'node:module';
import BeeQueue from 'bee-queue';
import type { NotificationEvent } from '../../dto';
import { redisKeys } from '../redis';

const require = createRequire(import.meta.url);
const lua = require('bee-queue/lib/lua/index.js') as { buildCache(client: unknown): Promise<unknown> };

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
export function createNotificationQueue(opts: { redisUrl: string; prefix: string; role: 'producer' | 'worker'; stallIntervalMs?: number }): NotificationQueue {
  const isWorker = opts.role === 'worker';
  const queue = new BeeQueue<DeliveryJobData>(NOTIFICATION_QUEUE_NAME, {
    prefix: redisKeys(opts.prefix).queue,
    redis: { url: opts.redisUrl, retry_strategy: ({ attempt }: { attempt: number }) => Math.min(attempt * 200, 2000) } as never,
    isWorker,
    getEvents: false,
    sendEvents: false,
    storeJobs: false,
    activateDelayedJobs: isWorker,
    removeOnSuccess: true,
    removeOnFailure: true,
    stallInterval: opts.stallIntervalMs ?? 5000,
  });
  queue.on('error', () => {});
  void queue.ready().then(() => {
    const client = (queue as unknown as { client: NodeJS.EventEmitter }).client;
    client.on('ready', () => void lua.buildCache(client).catch(() => {}));
  });
  return queue;
}

/** Reloads Bee-Queue's scripts after a NOSCRIPT error (Redis restarted) and tries `op` once more. */
export async function withQueueScripts<T>(queue: NotificationQueue, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (e) {
    if (!/NOSCRIPT/.test(String((e as Error)?.message))) throw e;
    await lua.buildCache((queue as unknown as { client: unknown }).client);
    return op();
  }
}

/** Puts one attempt of a delivery on the queue, optionally not before `notBeforeMs`. */
export async function enqueueDelivery(queue: NotificationQueue, data: DeliveryJobData, notBeforeMs = 0): Promise<void> {
  await withQueueScripts(queue, async () => {
    const job = queue.createJob(data).setId(deliveryJobId(data, data.attempt));
    if (notBeforeMs > Date.now()) job.delayUntil(notBeforeMs);
    await job.save();
  });
}

/** Whether Redis still holds this attempt's job (false after Redis lost its data). */
export async function isDeliveryEnqueued(queue: NotificationQueue, data: DeliveryJobData): Promise<boolean> {
  const q = queue as unknown as { client: { hexists(k: string, f: string, cb: (e: Error | null, n: number) => void): void }; toKey(k: string): string };
  return new Promise((resolve, reject) =>
    q.client.hexists(q.toKey('jobs'), deliveryJobId(data, data.attempt), (e, n) => (e ? reject(e) : resolve(n === 1))),
  );
}
