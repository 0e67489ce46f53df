import type BeeQueue from 'bee-queue';
import type { Db } from '@jobflow/core/db';
import {
  createNotificationQueue,
  deliveryKey,
  deliveryStore,
  describeTarget,
  enqueueDelivery,
  areDeliveriesEnqueued,
  type DeliveryJobData,
  type DeliveryStatus,
  type NotificationOutbox,
  type StoredNotificationTarget,
} from '@jobflow/core/notifications';
import { SecretUnreadableError, type Egress, type Keyring, type Logger, type Metrics } from '@jobflow/core/platform';
import { withScripts } from '@jobflow/core/queue';
import type { RunEngine } from '@jobflow/core/runs';
import type { WorkerConfig } from '../config';
import { DeliveryError } from './delivery-error';
import { createEmailSender } from './email.sender';
import { formatDuration, runLink, type NotificationMessage } from './notification-message';
import { sendSlack } from './slack.sender';
import { sendWebhook } from './webhook.sender';

const LAST_LINES = 10;
const USER_AGENT = 'Jobflow-Notifier/1';
/** A pending delivery this long untouched is checked against Redis (which may have lost its job). */
const IDLE_MS = 60_000;
/** How often the process holding the `notifications` sweep lease looks for deliveries Redis lost. */
export const NOTIFICATION_SWEEP_MS = 30_000;

/**
 * Sends notifications: takes deliveries off their queue, sends each to its
 * target, and writes every attempt's outcome as a `system` line of the run.
 * A failed attempt is retried after base, 2 x base, 4 x base, ... until
 * `maxAttempts`; answers that will not change (most 4xx, no SMTP configured)
 * are not retried.
 */
export function createNotifier(deps: {
  config: WorkerConfig;
  db: Db;
  runs: RunEngine;
  log: Logger;
  metrics: Metrics;
  outbox: NotificationOutbox;
  egress: Egress;
  keyring: Keyring;
}) {
  const { config, db, runs, log, metrics } = deps;
  const { maxAttempts, retryBaseMs, timeoutMs } = config.notify;
  const queue = createNotificationQueue({ redis: config.redisConnection, prefix: config.redisPrefix, role: 'worker', stallIntervalMs: config.stallIntervalMs });
  const email = createEmailSender(config.smtp, timeoutMs);
  const timers: NodeJS.Timeout[] = [];

  const delayAfter = (attempt: number) => retryBaseMs * 2 ** (attempt - 1);

  /** Sends with the target's secrets opened (they are stored sealed). */
  async function send(target: StoredNotificationTarget, m: NotificationMessage): Promise<string> {
    const opts = { timeoutMs, userAgent: USER_AGENT, egress: deps.egress };
    const { keyring } = deps;
    switch (target.kind) {
      case 'webhook':
        return sendWebhook({ ...target, url: keyring.open(target.url), secret: keyring.open(target.secret) }, m, opts);
      case 'slack':
        return sendSlack({ ...target, url: keyring.open(target.url) }, m, opts);
      case 'email':
        return email.send(target, m);
    }
  }

  /** A stored secret opened, or left sealed when it cannot be (sending then fails with the reason). */
  const openOrKeep = (value: string) => {
    try {
      return deps.keyring.open(value);
    } catch {
      return value;
    }
  };

  const note = (runId: string, text: string) =>
    runs.note(runId, text).catch((e) => log.warn('could not write a notification outcome to the run log', { runId, error: (e as Error).message }));

  async function process(job: BeeQueue.Job<DeliveryJobData>): Promise<void> {
    const { runId, targetId, event, attempt } = job.data;
    const key = { runId, targetId, event };
    const record = (status: DeliveryStatus, error: string | null) => deliveryStore.record(db.sql, key, attempt, status, error);
    const d = await deliveryStore.get(db.sql, runId, targetId, event);
    // Gone, settled, or this attempt was already made (a repeated queue job).
    if (!d || d.status !== 'pending' || d.attempts !== attempt - 1) return;
    const target = d.targets?.find((t) => t.id === targetId && t.kind === d.kind);
    if (!target) {
      if (await record('failed', 'the target was removed')) {
        await note(runId, `notification (${event}) via ${d.kind}: not sent, the target was removed from the job`);
      }
      return;
    }
    const what = `notification (${event}) via ${describeTarget(target.kind === 'webhook' ? { ...target, url: openOrKeep(target.url) } : target)}`;
    const message: NotificationMessage = {
      event,
      run: d.snapshot,
      link: runLink(config.publicUrl, runId),
      // The run's last lines as of the event (later ones, such as notification outcomes, are left out).
      lastLines: await runs.lastLines(runId, d.snapshot.logCount, LAST_LINES),
      deliveryId: deliveryKey(key),
    };
    try {
      const outcome = await send(target, message);
      metrics.notificationAttempted(target.kind, 'delivered');
      if (await record('delivered', null)) {
        await note(runId, `${what}: delivered (${outcome}), attempt ${attempt} of ${maxAttempts}`);
      }
    } catch (e) {
      const err = e instanceof DeliveryError ? e : new DeliveryError(String((e as Error)?.message ?? e), e instanceof SecretUnreadableError);
      if (err.isPermanent || attempt >= maxAttempts) {
        metrics.notificationAttempted(target.kind, 'failed');
        if (await record('failed', err.message)) {
          await note(
            runId,
            `${what}: failed (${err.message}), attempt ${attempt} of ${maxAttempts}; giving up${err.isPermanent ? ' (retrying would not help)' : ''}`,
          );
        }
        return;
      }
      const delayMs = delayAfter(attempt);
      metrics.notificationAttempted(target.kind, 'retrying');
      if (await record('pending', err.message)) {
        await enqueueDelivery(queue, { runId, targetId, event, attempt: attempt + 1 }, Date.now() + delayMs);
        await note(runId, `${what}: failed (${err.message}), attempt ${attempt} of ${maxAttempts}; next try in ${formatDuration(delayMs)}`);
      }
    }
  }

  /**
   * Puts back deliveries whose next attempt Redis no longer holds (Redis
   * restarted without its data), and opens those of run ends whose process
   * stopped before it could.
   */
  async function sweep(): Promise<void> {
    const recovered = await deps.outbox.recoverMissed(IDLE_MS);
    if (recovered) log.warn('opened notifications a stopped process had not recorded', { runs: recovered });
    const idle: DeliveryJobData[] = (await deliveryStore.idle(db.sql, IDLE_MS)).map((d) => ({
      runId: d.run_id,
      targetId: d.target_id,
      event: d.event,
      attempt: d.attempts + 1,
    }));
    const held = await areDeliveriesEnqueued(queue, idle);
    for (const data of idle.filter((_, i) => !held[i])) {
      log.warn('re-enqueueing a notification that Redis no longer holds', { runId: data.runId, targetId: data.targetId, event: data.event });
      await enqueueDelivery(queue, data);
    }
  }

  return {
    /** One look for deliveries Redis lost or a stopped process never opened (the worker's sweeper runs it). */
    sweep,
    async start(): Promise<void> {
      queue.on('error', (e) => {
        metrics.redisErrored();
        if (/NOSCRIPT/.test(e.message)) void withScripts(queue, () => Promise.resolve()).catch(() => {});
      });
      await queue.ready();
      queue.process(config.notify.concurrency, process);
      timers.push(setInterval(() => void withScripts(queue, () => queue.checkStalledJobs()).catch(() => {}), config.stallIntervalMs));
    },
    async close(): Promise<void> {
      for (const t of timers) clearInterval(t);
      await queue.close(config.shutdownGraceMs).catch(() => {});
      email.close();
    },
  };
}
