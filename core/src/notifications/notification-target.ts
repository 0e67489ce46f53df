import type { NotificationEvent, NotificationTargetDto, RunStatus } from '@jobflow/shared';
import type { StoredNotificationTarget } from '../db';

export type { StoredNotificationTarget };

const MASK = '****';

/** `****` and the last 4 characters: enough to recognise a secret, not to use it. */
export const maskSecret = (secret: string): string => MASK + (secret.length >= 12 ? secret.slice(-4) : '');

/** The origin of a URL whose path is a secret (a Slack webhook), then `****` and its last 4 characters. */
export function maskUrl(url: string): string {
  try {
    return `${new URL(url).origin}/${MASK}${url.length >= 24 ? url.slice(-4) : ''}`;
  } catch {
    return MASK;
  }
}

/** Whether `value` is what the API shows for `secret` (a client sending a target back unchanged). */
export const isMaskOf = (value: string, secret: string, mask: (s: string) => string = maskSecret): boolean => value === mask(secret);

export const looksMasked = (value: string): boolean => value.startsWith(MASK) || value.includes(`/${MASK}`);

/** A target as the API shows it. */
export function toNotificationTargetDto(target: StoredNotificationTarget): NotificationTargetDto {
  switch (target.kind) {
    case 'webhook':
      return { id: target.id, kind: 'webhook', on: target.on, url: target.url, secret: maskSecret(target.secret) };
    case 'slack':
      return { id: target.id, kind: 'slack', on: target.on, url: maskUrl(target.url) };
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

/** How a log line names a target, without its secret. */
export function describeTarget(target: StoredNotificationTarget): string {
  switch (target.kind) {
    case 'webhook': {
      let where = 'an invalid URL';
      try {
        const u = new URL(target.url);
        where = u.host + u.pathname;
      } catch {
        // stored targets are validated; keep the line readable anyway
      }
      return `webhook ${where}`;
    }
    case 'slack':
      return 'Slack';
    case 'email':
      return `email to ${target.to.join(', ')}`;
  }
}
