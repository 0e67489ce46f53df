import type { NotificationEvent, RunDto } from '@jobflow/shared';
import { defineStatement, type Sql } from '../db';
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

type DeliveryKey = [runId: string, targetId: string, event: NotificationEvent];

const openStatement = defineStatement<{ target_id: string }, [runId: string, event: NotificationEvent, snapshot: string, targets: string]>(
  'open_deliveries',
  `insert into notification_deliveries (run_id, target_id, event, kind, snapshot)
   select $1::uuid, t.id, $2, t.kind, $3::jsonb from json_to_recordset($4::json) as t(id text, kind text)
   on conflict do nothing returning target_id`,
);

const getStatement = defineStatement<DeliveryRow, DeliveryKey>(
  'get_delivery',
  `select d.run_id, d.target_id, d.event, d.kind, d.status, d.attempts, d.last_error, d.snapshot, j.notifications as targets
   from notification_deliveries d join runs r on r.id = d.run_id left join jobs j on j.id = r.job_id
   where d.run_id = $1 and d.target_id = $2 and d.event = $3`,
);

const recordStatement = defineStatement<{ recorded: number }, [...DeliveryKey, attempt: number, status: DeliveryStatus, error: string | null]>(
  'record_delivery_attempt',
  `update notification_deliveries set attempts = $4, status = $5, last_error = $6, updated_at = now()
   where run_id = $1 and target_id = $2 and event = $3 and status = 'pending' and attempts = $4 - 1 returning 1 as recorded`,
);

const idleStatement = defineStatement<Pick<DeliveryRow, 'run_id' | 'target_id' | 'event' | 'attempts'>, [idleMs: number, limit: number]>(
  'find_idle_deliveries',
  `select run_id, target_id, event, attempts from notification_deliveries
   where status = 'pending' and updated_at < now() - $1 * interval '1 millisecond' order by updated_at limit $2`,
);

const unopenedStatement = defineStatement<{ id: string }, [horizonMs: number, graceMs: number, limit: number]>(
  'find_unopened_run_ends',
  `select r.id from runs r join jobs j on j.id = r.job_id
   where r.finished_at > now() - $1 * interval '1 millisecond' and r.finished_at < now() - $2 * interval '1 millisecond'
     and r.status in ('succeeded', 'failed', 'cancelled')
     and j.updated_at <= r.finished_at
     and exists (select 1 from jsonb_array_elements(j.notifications) t
                 where t->'on' @> jsonb_build_array(r.status::text)
                   and not exists (select 1 from notification_deliveries d
                                   where d.run_id = r.id and d.target_id = t->>'id' and d.event = r.status::text))
   order by r.finished_at limit $3`,
);

const jobTargetsStatement = defineStatement<{ notifications: StoredNotificationTarget[] }, [jobId: string]>(
  'get_job_notification_targets',
  `select notifications from jobs where id = $1`,
);

/**
 * The `notification_deliveries` table: one row per (run, target, event). The
 * key makes a second delivery of the same event to the same target
 * impossible, whoever notices the event.
 */
export const deliveryStore = {
  /** Records deliveries of `event` to `targets`; returns the ids of those not recorded before. */
  async open(sql: Sql, run: RunDto, event: NotificationEvent, targets: StoredNotificationTarget[]): Promise<string[]> {
    if (targets.length === 0) return [];
    const rows = await sql(openStatement, [run.id, event, JSON.stringify(run), JSON.stringify(targets.map((t) => ({ id: t.id, kind: t.kind })))]);
    return rows.map((r) => r.target_id);
  },

  async get(sql: Sql, runId: string, targetId: string, event: NotificationEvent): Promise<DeliveryRow | null> {
    return (await sql(getStatement, [runId, targetId, event]))[0] ?? null;
  },

  /**
   * Records attempt `attempt` and its outcome, only if it is the next one of a
   * pending delivery (so a redelivered queue job cannot count twice).
   */
  async record(
    sql: Sql,
    key: { runId: string; targetId: string; event: NotificationEvent },
    attempt: number,
    status: DeliveryStatus,
    error: string | null,
  ): Promise<boolean> {
    const rows = await sql(recordStatement, [key.runId, key.targetId, key.event, attempt, status, error]);
    return rows.length === 1;
  },

  /** Pending deliveries not touched for `idleMs`: candidates for being lost from Redis. */
  idle: (sql: Sql, idleMs: number, limit = 500) => sql(idleStatement, [idleMs, limit]),

  /**
   * Runs that ended between `horizonMs` and `graceMs` ago whose job's targets
   * ask for that end and have no delivery of it; only runs that ended after
   * their job's last change, so a target added later is not told of earlier runs.
   */
  unopenedRunEnds: (sql: Sql, horizonMs: number, graceMs: number, limit: number) => sql(unopenedStatement, [horizonMs, graceMs, limit]),

  /** A job's notification targets as stored (empty when the job is gone). */
  async jobTargets(sql: Sql, jobId: string): Promise<StoredNotificationTarget[]> {
    return (await sql(jobTargetsStatement, [jobId]))[0]?.notifications ?? [];
  },
};
