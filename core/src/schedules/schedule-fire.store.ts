import type { ScheduleFireDto, SchedulePolicyDto } from '@jobflow/shared';
import { type Db, type Sql, iso } from '../db';
import { runStore, type RunRow, type Timestamp } from '../runs';

export type FireOutcome = ScheduleFireDto['outcome'];

/** A job whose schedule is active, with where its due times stand. */
export interface ScheduledJob {
  id: string;
  cron: string;
  timezone: string;
  overlap: SchedulePolicyDto['overlap'];
  missed: SchedulePolicyDto['missed'];
  since: Date | null;
  /** The latest due time recorded, whatever its outcome. */
  lastDue: Date | null;
}

/** What to do with one due time; `run` ones start a run unless the overlap policy says skip. */
export type PlannedFire = { dueAt: Date; outcome: 'missed' } | { dueAt: Date; outcome: 'started' | 'caught-up' };

export interface FireRow {
  id: string;
  job_id: string;
  due_at: Timestamp;
  outcome: FireOutcome;
  run_id: string | null;
  run_status: ScheduleFireDto['runStatus'];
  created_at: Timestamp;
}

export const toScheduleFireDto = (row: FireRow): ScheduleFireDto => ({
  id: row.id,
  jobId: row.job_id,
  dueAt: iso(row.due_at)!,
  outcome: row.outcome,
  runId: row.run_id,
  runStatus: row.run_status,
  createdAt: iso(row.created_at)!,
});

const toDate = (t: Timestamp | null): Date | null => (t == null ? null : new Date(t));
const sameTime = (a: Timestamp | null, b: Timestamp | null) => (a == null || b == null ? a == b : new Date(a).getTime() === new Date(b).getTime());

/**
 * The `schedule_fires` table: one row per (job, due time), whatever became of
 * it. The unique key on (job_id, due_at) is what makes a second run for one
 * due time impossible, however many schedulers race for it; the row and its
 * run are written in one transaction, so neither exists without the other.
 */
export const fireStore = {
  /** Jobs with an active (set, not paused) schedule. */
  async scheduledJobs(sql: Sql): Promise<ScheduledJob[]> {
    const rows = await sql<{
      id: string;
      cron: string;
      timezone: string;
      overlap: ScheduledJob['overlap'];
      missed: ScheduledJob['missed'];
      since: Timestamp | null;
      last_due: Timestamp | null;
    }>(
      `select j.id, j.schedule_cron as cron, j.schedule_timezone as timezone, j.schedule_overlap as overlap, j.schedule_missed as missed,
              j.schedule_since as since, (select max(f.due_at) from schedule_fires f where f.job_id = j.id) as last_due
       from jobs j
       where j.schedule_cron is not null and j.schedule_timezone is not null and not j.schedule_paused`,
    );
    return rows.map((r) => ({
      id: r.id,
      cron: r.cron,
      timezone: r.timezone,
      overlap: r.overlap,
      missed: r.missed,
      since: toDate(r.since),
      lastDue: toDate(r.last_due),
    }));
  },

  /**
   * Records `plan` for `job` in one transaction, under the job row's lock:
   * `missed` rows as they are; each `started`/`caught-up` due time either
   * becomes `skipped-overlap` (policy `skip` and a run of the job is queued or
   * running) or gets its row and its new queued run together; while the
   * job's owner is disabled, every due time is `paused-owner-disabled`. Due times
   * already recorded (by another scheduler) are left alone. Returns the runs
   * created, to publish and enqueue after commit; or `changed` when the
   * schedule is no longer the one the plan was made for (paused, edited).
   */
  async record(db: Db, job: ScheduledJob, plan: PlannedFire[]): Promise<{ kind: 'recorded'; runs: RunRow[]; outcomes: FireOutcome[] } | { kind: 'changed' }> {
    return db.tx(async (sql) => {
      const current = await sql<{
        schedule_cron: string | null;
        schedule_timezone: string | null;
        schedule_paused: boolean;
        schedule_since: Timestamp | null;
        schedule_overlap: string;
        schedule_missed: string;
        params: Record<string, unknown>;
        max_attempts: number;
        timeout_sec: number | null;
        owner_disabled: boolean | null;
      }>(
        `select schedule_cron, schedule_timezone, schedule_paused, schedule_since, schedule_overlap, schedule_missed, params, max_attempts, timeout_sec,
                (select u.disabled from users u where u.id = jobs.owner_id) as owner_disabled
         from jobs where id = ? for update`,
        [job.id],
      );
      const j = current[0];
      if (
        !j ||
        j.schedule_paused ||
        j.schedule_cron !== job.cron ||
        j.schedule_timezone !== job.timezone ||
        j.schedule_overlap !== job.overlap ||
        j.schedule_missed !== job.missed ||
        !sameTime(j.schedule_since, job.since)
      ) {
        return { kind: 'changed' as const };
      }

      const outcomes: FireOutcome[] = [];
      // A disabled user's schedules start nothing: each due time is recorded as paused, so the history says why.
      if (j.owner_disabled) {
        const rows = await sql(
          `insert into schedule_fires (job_id, due_at, outcome) select ?, unnest(?::timestamptz[]), 'paused-owner-disabled' on conflict do nothing returning 1`,
          [job.id, `{${plan.map((p) => p.dueAt.toISOString()).join(',')}}`],
        );
        for (let i = 0; i < rows.length; i++) outcomes.push('paused-owner-disabled');
        return { kind: 'recorded' as const, runs: [], outcomes };
      }
      const missed = plan.filter((p) => p.outcome === 'missed').map((p) => p.dueAt.toISOString());
      if (missed.length) {
        const rows = await sql(
          `insert into schedule_fires (job_id, due_at, outcome) select ?, unnest(?::timestamptz[]), 'missed' on conflict do nothing returning 1`,
          [job.id, `{${missed.join(',')}}`],
        );
        for (let i = 0; i < rows.length; i++) outcomes.push('missed');
      }

      const runs: RunRow[] = [];
      for (const p of plan) {
        if (p.outcome === 'missed') continue;
        if (job.overlap === 'skip') {
          const active = await sql(`select 1 from runs where job_id = ? and status in ('queued', 'running') limit 1`, [job.id]);
          if (active.length) {
            const rows = await sql(`insert into schedule_fires (job_id, due_at, outcome) values (?, ?, 'skipped-overlap') on conflict do nothing returning 1`, [
              job.id,
              p.dueAt,
            ]);
            if (rows.length) outcomes.push('skipped-overlap');
            continue;
          }
        }
        const fire = await sql<{ id: string }>(`insert into schedule_fires (job_id, due_at, outcome) values (?, ?, ?) on conflict do nothing returning id`, [
          job.id,
          p.dueAt,
          p.outcome,
        ]);
        if (!fire[0]) continue;
        const run = await runStore.create(sql, {
          jobId: job.id,
          params: j.params,
          maxAttempts: j.max_attempts,
          timeoutSec: j.timeout_sec,
          trigger: { kind: 'schedule', userId: null },
        });
        // The job is locked by this transaction, so it still exists: a missing row is a bug, not a race.
        if (!run) throw new Error(`could not store a scheduled run of job ${job.id}`);
        await sql(`update schedule_fires set run_id = ? where id = ?`, [run.id, fire[0].id]);
        runs.push(run);
        outcomes.push(p.outcome);
      }
      return { kind: 'recorded' as const, runs, outcomes };
    });
  },

  /**
   * Deletes up to `limit` due times older than `keepDays` days, never a job's
   * latest one (it is where the scheduler resumes). Rows another process is
   * deleting at the same moment are skipped. Returns how many went.
   */
  async prune(sql: Sql, keepDays: number, limit: number): Promise<number> {
    const rows = await sql(
      `with old as (select f.id from schedule_fires f
                    where f.due_at < now() - ? * interval '1 day'
                      and exists (select 1 from schedule_fires n where n.job_id = f.job_id and n.due_at > f.due_at)
                    limit ? for update skip locked)
       delete from schedule_fires where id in (select id from old) returning 1`,
      [keepDays, limit],
    );
    return rows.length;
  },

  /** A job's due times, latest first, keyset-paginated on (due_at, id). */
  async list(sql: Sql, jobId: string, limit: number, after: { at: string; id: string } | null): Promise<FireRow[]> {
    const params: unknown[] = [jobId];
    let where = 'f.job_id = ?';
    if (after) {
      where += ' and (f.due_at, f.id) < (?, ?)';
      params.push(after.at, after.id);
    }
    return sql<FireRow>(
      `select f.id, f.job_id, f.due_at, f.outcome, f.run_id, r.status as run_status, f.created_at
       from schedule_fires f left join runs r on r.id = f.run_id
       where ${where} order by f.due_at desc, f.id desc limit ?`,
      [...params, limit],
    );
  },
};
