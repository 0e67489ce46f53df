import { createHmac } from 'node:crypto';
import type { StoredNotificationTarget } from '@jobflow/core/notifications';
import type { Egress } from '@jobflow/core/platform';
import { DeliveryError, describeFetchError, isPermanentStatus } from './delivery-error';
import type { NotificationMessage } from './notification-message';

export const SIGNATURE_HEADER = 'X-Jobflow-Signature';

/** `sha256=` and the hex HMAC-SHA256 of `body` under `secret`: what receivers recompute to check a delivery. */
export const signBody = (secret: string, body: string) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

/** The JSON a webhook receives. */
export function webhookPayload(m: NotificationMessage) {
  return {
    event: m.event,
    deliveryId: m.deliveryId,
    job: { id: m.run.jobId, name: m.run.jobName },
    run: m.run,
    url: m.link,
    sentAt: new Date().toISOString(),
  };
}

/** POSTs the run as JSON, signed; redirects are not followed. Resolves with a short outcome. */
export async function sendWebhook(
  target: Extract<StoredNotificationTarget, { kind: 'webhook' }>,
  m: NotificationMessage,
  opts: { timeoutMs: number; userAgent: string; egress: Egress },
): Promise<string> {
  const body = JSON.stringify(webhookPayload(m));
  let res: Response;
  try {
    res = await opts.egress.fetch(new URL(target.url), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': opts.userAgent,
        'x-jobflow-event': `run.${m.event}`,
        'x-jobflow-delivery': m.deliveryId,
        [SIGNATURE_HEADER.toLowerCase()]: signBody(target.secret, body),
      },
      body,
      signal: AbortSignal.timeout(opts.timeoutMs),
    });
    await res.body?.cancel().catch(() => {});
  } catch (e) {
    throw describeFetchError(e, opts.timeoutMs);
  }
  if (res.ok) return `HTTP ${res.status}`;
  throw new DeliveryError(`HTTP ${res.status}${res.status >= 300 && res.status < 400 ? ' (redirects are not followed)' : ''}`, isPermanentStatus(res.status));
}
