import { Migration } from '@mikro-orm/migrations';

/** Weeks of `run_logs` partitions made ahead of time (the retention sweep keeps them ahead from then on). */
const WEEKS_AHEAD = 8;

/**
 * Retention and search of log lines.
 *
 * - `jobs.keep_runs` / `jobs.keep_days`: how many runs, and for how long, a
 *   job's finished runs are kept (null: as long as `RUN_RETENTION_DAYS` says).
 * - `run_logs` becomes partitioned by week on `stored_at` (when PostgreSQL
 *   stored the line, so a worker's clock cannot send a line outside every
 *   partition): a week whose runs are all purged is detached and dropped
 *   instead of deleted line by line. Partitions are attached (never created
 *   as `partition of`), so making one never locks the table against writers.
 *   `(run_id, seq)` stays unique by construction (each statement numbers
 *   lines from `runs.log_count` under the run's row lock); the primary key
 *   carries `stored_at` because PostgreSQL requires the partition key in it.
 * - The lines of a deleted run go with it through a statement trigger on
 *   `runs` rather than a foreign key, so detaching or dropping a partition
 *   never takes a lock on `runs`.
 * - A trigram index (`pg_trgm`, available on managed PostgreSQL services
 *   too) finds substrings of line text for `GET /api/logs/search`.
 * - `platform_leases`: one row per elected duty (the retention sweep), held
 *   by one process until it lapses.
 */
export class Migration20261202500000_retention_search extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create extension if not exists pg_trgm;`);
    this.addSql(`
      alter table jobs
        add column keep_runs integer null check (keep_runs between 1 and 1000000),
        add column keep_days integer null check (keep_days between 1 and 36500);`);
    this.addSql(`
      create table platform_leases (
        name text primary key,
        holder text not null,
        expires_at timestamptz(3) not null
      );`);

    this.addSql(`alter table run_logs rename to run_logs_unpartitioned;`);
    this.addSql(`alter table run_logs_unpartitioned rename constraint run_logs_pkey to run_logs_unpartitioned_pkey;`);
    this.addSql(`
      create table run_logs (
        run_id uuid not null,
        seq integer not null,
        ts timestamptz(3) not null,
        stream text not null,
        text text not null,
        stored_at timestamptz(3) not null default now(),
        primary key (run_id, seq, stored_at)
      ) partition by range (stored_at);`);
    this.addSql(`create index run_logs_text_trgm_idx on run_logs using gin (text gin_trgm_ops);`);
    this.addSql(`
      create function run_logs_ensure_partitions(from_at timestamptz, weeks integer) returns setof text
      language plpgsql as $$
      declare
        first_week date := date_trunc('week', from_at at time zone 'UTC')::date;
        week date;
        part text;
      begin
        for i in 0..weeks loop
          week := first_week + 7 * i;
          part := 'run_logs_w' || to_char(week, 'YYYYMMDD');
          if to_regclass(part) is null then
            execute format('create table %I (like run_logs including defaults including constraints)', part);
            execute format('alter table run_logs attach partition %I for values from (%L) to (%L)',
                           part, week::timestamp at time zone 'UTC', (week + 7)::timestamp at time zone 'UTC');
            return next part;
          end if;
        end loop;
      end $$;`);
    this.addSql(`
      select run_logs_ensure_partitions(
        coalesce((select min(queued_at) from runs), now()),
        ceil(extract(epoch from now() - coalesce((select min(queued_at) from runs), now())) / 604800)::integer + ${WEEKS_AHEAD});`);
    this.addSql(`
      insert into run_logs (run_id, seq, ts, stream, text, stored_at)
      select l.run_id, l.seq, l.ts, l.stream, l.text, least(r.queued_at, now())
      from run_logs_unpartitioned l join runs r on r.id = l.run_id;`);
    this.addSql(`drop table run_logs_unpartitioned;`);
    this.addSql(`
      create function runs_delete_lines() returns trigger language plpgsql as $$
      begin
        delete from run_logs l using gone where l.run_id = gone.id;
        return null;
      end $$;`);
    this.addSql(`create trigger runs_delete_lines after delete on runs referencing old table as gone for each statement execute function runs_delete_lines();`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop trigger if exists runs_delete_lines on runs;`);
    this.addSql(`drop function if exists runs_delete_lines();`);
    this.addSql(`alter table run_logs rename to run_logs_partitioned;`);
    this.addSql(`
      create table run_logs (
        run_id uuid not null references runs (id) on delete cascade,
        seq integer not null,
        ts timestamptz(3) not null,
        stream text not null,
        text text not null,
        primary key (run_id, seq)
      );`);
    this.addSql(
      `insert into run_logs (run_id, seq, ts, stream, text) select run_id, seq, ts, stream, text from run_logs_partitioned where run_id in (select id from runs);`,
    );
    this.addSql(`drop table run_logs_partitioned cascade;`);
    this.addSql(`drop function if exists run_logs_ensure_partitions(timestamptz, integer);`);
    this.addSql(`drop table if exists platform_leases;`);
    this.addSql(`alter table jobs drop column if exists keep_runs, drop column if exists keep_days;`);
  }
}
