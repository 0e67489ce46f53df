import type { NotificationEvent, RunDto } from '@jobflow/shared';
import type { Sql } from '../db';
import type { StoredNotificationTarget } from './notification-target';

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

/** A delivery with what sending it needs: the run as it was at the event, and the job's current targets. */
export interface DeliveryRow {
  run_id: string;
  target_id: string;
  event: NotificationEvent;
  kind: StoredNotificationTarget['kind'];
  status: DeliveryStatus;
  attempts: number;
  last_error: string | null;
  snapshot: RunDto;
  /** The job's targets now (null when the job is gone). */
  targets: StoredNotificationTarget[] | null;
}

/**
 * One row per (run, target, event): the key makes a second delivery of the
 * same event to the same target impossible, whoever notices the event.
 */
export const deliveryStore = {
  /** Records deliveries of `event` to `targets`; returns the ids of those not recorded before. */
  async open(sql: Sql, run: RunDto, event: NotificationEvent, targets: StoredNotificationTarget[]): Promise<string[]> {
    if (targets.length === 0) return [];
    const rows = await sql<{ target_id: string }>(
      `insert into notification_deliveries (run_id, target_id, event, kind, snapshot)
       select ?::uuid, t.id, ?, t.kind, ?::jsonb from json_to_recordset(?::json) as t(id text, kind text)
       on conflict do nothing returning target_id`,
      [run.id, event, JSON.stringify(run), JSON.stringify(targets.map((t) => ({ id: t.id, kind: t.kind })))],
    );
    return rows.map((r) => r.target_id);
  },

  async get(sql: Sql, runId: string, targetId: string, event: NotificationEvent): Promise<DeliveryRow | null> {
    const rows = await sql<DeliveryRow>(
      `select d.run_id, d.target_id, d.event, d.kind, d.status, d.attempts, d.last_error, d.snapshot, j.notifications as targets
       from notification_deliveries d join runs r on r.id = d.run_id left join jobs j on j.id = r.job_id
       where d.run_id = ? and d.target_id = ? and d.event = ?`,
      [runId, targetId, event],
    );
    return rows[0] ?? null;
  },

  /**
   * Records attempt `attempt` and its outcome, only if it is the next one of a
   * pending delivery (so a redelivered queue job cannot count twice).
   */
  async record(
    sql: Sql,
    runId: string,
    targetId: string,
    event: NotificationEvent,
    attempt: number,
    status: DeliveryStatus,
    error: string | null,
  ): Promise<boolean> {
    const rows = await sql(
      `update notification_deliveries set attempts = ?, status = ?, last_error = ?, updated_at = now()
       where run_id = ? and target_id = ? and event = ? and status = 'pending' and attempts = ? returning 1`,
      [attempt, status, error, runId, targetId, event, attempt - 1],
    );
    return rows.length === 1;
  },

  /** Pending deliveries not touched for `idleMs`: candidates for being lost from Redis. */
  async idle(sql: Sql, idleMs: number, limit = 500): Promise<Pick<DeliveryRow, 'run_id' | 'target_id' | 'event' | 'attempts'>[]> {
    return sql(
      `select run_id, target_id, event, attempts from notification_deliveries
       where status = 'pending' and updated_at < now() - ? * interval '1 millisecond' order by updated_at limit ?`,
      [idleMs, limit],
    );
  },
};
