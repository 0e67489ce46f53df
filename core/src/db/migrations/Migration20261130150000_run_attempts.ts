import { Migration } from '@mikro-orm/migrations';

/**
 * Each attempt of a run (who ran it, when, how it ended) and whether a run's
 * params differ from its job's. Both are kept by triggers, so every statement
 * that moves a run, whichever process runs it, records them in the same
 * transaction without knowing about them.
 */
export class Migration20261130150000_run_attempts extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table run_attempts (
        run_id uuid not null references runs (id) on delete cascade,
        attempt integer not null,
        worker_id text null,
        started_at timestamptz(3) not null,
        finished_at timestamptz(3) null,
        outcome text null check (outcome in ('succeeded', 'failed', 'cancelled', 'retried')),
        error_code text null,
        error_message text null,
        primary key (run_id, attempt)
      );`);
    this.addSql(`
      create function runs_record_attempt() returns trigger language plpgsql as $$
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
    this.addSql(`
      create trigger runs_record_attempt after update of status on runs
      for each row when (old.status is distinct from new.status) execute function runs_record_attempt();`);
    this.addSql(`alter table runs add column params_changed boolean not null default false;`);
    this.addSql(`
      create function runs_params_changed() returns trigger language plpgsql as $$
      begin
        new.params_changed := new.params is distinct from (select params from jobs where id = new.job_id);
        return new;
      end $$;`);
    this.addSql(`create trigger runs_params_changed before insert on runs for each row execute function runs_params_changed();`);
  }

  override async down(): Promise<void> {
    this.addSql('drop trigger if exists runs_params_changed on runs;');
    this.addSql('drop function if exists runs_params_changed();');
    this.addSql('alter table runs drop column if exists params_changed;');
    this.addSql('drop trigger if exists runs_record_attempt on runs;');
    this.addSql('drop function if exists runs_record_attempt();');
    this.addSql('drop table if exists run_attempts;');
  }
}
