import type { NotificationEvent, NotificationTargetDto, RunStatus } from '@jobflow/shared';
import type { StoredNotificationTarget } from '../db';
import { hintOf, isSealed, maskSecret, maskUrl } from '../platform';

export type { StoredNotificationTarget };

/** What everyone is shown of a stored secret: its hint when sealed, else its mask. */
export const shownSecret = (stored: string, mask: (s: string) => string = maskSecret): string => (isSealed(stored) ? hintOf(stored) : mask(stored));

/** Whether `value` is what the API shows for the stored secret (a client sending a target back unchanged). */
export const isShownAs = (value: string, stored: string, mask: (s: string) => string = maskSecret): boolean => value === shownSecret(stored, mask);

/**
 * A target as the API shows it. Secrets (a webhook's signing secret, a Slack
 * URL) are masked for everyone; a webhook's URL, which often carries a token
 * in its path or query, is shown in full only when given `reveal` (which
 * opens it, for the job's owner and admins), else with its path and query masked.
 */
export function toNotificationTargetDto(target: StoredNotificationTarget, reveal?: (sealed: string) => string): NotificationTargetDto {
  switch (target.kind) {
    case 'webhook':
      return {
        id: target.id,
        kind: 'webhook',
        on: target.on,
        url: reveal ? reveal(target.url) : shownSecret(target.url, maskUrl),
        secret: shownSecret(target.secret),
      };
    case 'slack':
      return { id: target.id, kind: 'slack', on: target.on, url: shownSecret(target.url, maskUrl) };
    case 'email':
      return { id: target.id, kind: 'email', on: target.on, to: target.to };
  }
}

/**
 * The notification event a stored run change is, if any: its first attempt
 * started (the claim of attempt 1 is the run's second version), or it ended.
 */
export function notificationEventOf(row: { status: RunStatus; attempt: number; version: number }): NotificationEvent | null {
  switch (row.status) {
    case 'running':
      return row.attempt === 1 && row.version === 2 ? 'started' : null;
    case 'succeeded':
    case 'failed':
    case 'cancelled':
      return row.status;
    case 'queued':
      return null;
  }
}

/** How a log line names a target, without its secrets (`target` as sent, its URL opened). */
export function describeTarget(target: StoredNotificationTarget): string {
  switch (target.kind) {
    case 'webhook':
      // Run logs are read by everyone: the path and query, which may carry a token, stay masked.
      return `webhook ${maskUrl(target.url).replace(/^[a-z]+:\/\//, '')}`;
    case 'slack':
      return 'Slack';
    case 'email':
      return `email to ${target.to.join(', ')}`;
  }
}
