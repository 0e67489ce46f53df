import { Migration } from '@mikro-orm/migrations';

/**
 * The worker registry: one row per worker process, written by the process
 * itself (registration, heartbeats, stop) and by admins' drain and resume.
 * `is_draining` is what was asked; a worker reads it with every heartbeat, so
 * the request holds across Redis losses and restarts with the same id.
 * Each attempt of a run also records the name its worker had.
 */
export class Migration20261202200000_workers extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table workers (
        id text primary key,
        name text not null,
        host text not null,
        pid integer not null,
        version text not null,
        concurrency integer not null check (concurrency > 0),
        heartbeat_ms integer not null check (heartbeat_ms > 0),
        started_at timestamptz(3) not null default now(),
        heartbeat_at timestamptz(3) not null default now(),
        is_draining boolean not null default false,
        lost_at timestamptz(3) null,
        stopped_at timestamptz(3) null
      );`);
    this.addSql(`create index workers_heartbeat_idx on workers (heartbeat_at) where stopped_at is null;`);
    this.addSql(`create index runs_worker_idx on runs (worker_id) where status = 'running';`);
    this.addSql(`alter table run_attempts add column worker_name text null;`);
    this.addSql(`
      create or replace function runs_record_attempt() returns trigger language plpgsql as $$
      begin
        if new.status = 'running' then
          insert into run_attempts (run_id, attempt, worker_id, worker_name, started_at)
          values (new.id, new.attempt, new.worker_id, (select name from workers where id = new.worker_id), now())
          on conflict (run_id, attempt) do update
            set worker_id = excluded.worker_id, worker_name = excluded.worker_name, started_at = excluded.started_at,
                finished_at = null, outcome = null, error_code = null, error_message = null;
        elsif old.status = 'running' then
          update run_attempts
             set finished_at = now(),
                 outcome = case when new.status = 'queued' then 'retried' else new.status end,
                 error_code = new.error_code,
                 error_message = new.error_message
           where run_id = old.id and attempt = old.attempt;
        end if;
        return null;
      end $$;`);
  }

  override async down(): Promise<void> {
    this.addSql(`
      create or replace function runs_record_attempt() returns trigger language plpgsql as $$
      begin
        if new.status = 'running' then
          insert into run_attempts (run_id, attempt, worker_id, started_at) values (new.id, new.attempt, new.worker_id, now())
          on conflict (run_id, attempt) do update
            set worker_id = excluded.worker_id, started_at = excluded.started_at, finished_at = null, outcome = null, error_code = null, error_message = null;
        elsif old.status = 'running' then
          update run_attempts
             set finished_at = now(),
                 outcome = case when new.status = 'queued' then 'retried' else new.status end,
                 error_code = new.error_code,
                 error_message = new.error_message
           where run_id = old.id and attempt = old.attempt;
        end if;
        return null;
      end $$;`);
    this.addSql('alter table run_attempts drop column if exists worker_name;');
    this.addSql('drop index if exists runs_worker_idx;');
    this.addSql('drop table if exists workers;');
  }
}
