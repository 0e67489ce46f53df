import { Migration } from '@mikro-orm/migrations';

/**
 * Schedule policies, pause and due-time history; notification targets and
 * their deliveries.
 */
export class Migration20261128100000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      alter table jobs
        add column schedule_paused boolean not null default false,
        add column schedule_overlap text not null default 'allow' check (schedule_overlap in ('allow', 'skip', 'queue')),
        add column schedule_missed text not null default 'skip' check (schedule_missed in ('skip', 'run-once')),
        add column schedule_since timestamptz(3) null,
        add column notifications jsonb not null default '[]';`);
    // Due times count from when the schedule was set; for existing schedules, from now.
    this.addSql(`update jobs set schedule_since = now() where schedule_cron is not null;`);
    // One row per due time of a job, whatever became of it: the unique key is what
    // makes a second run for the same due time impossible.
    this.addSql(`
      create table schedule_fires (
        id uuid primary key default gen_random_uuid(),
        job_id uuid not null references jobs (id) on delete cascade,
        due_at timestamptz(3) not null,
        outcome text not null check (outcome in ('started', 'skipped-overlap', 'missed', 'caught-up')),
        run_id uuid null references runs (id) on delete set null,
        created_at timestamptz(3) not null default now(),
        constraint schedule_fires_job_due_key unique (job_id, due_at)
      );`);
    this.addSql(`
      create table notification_deliveries (
        run_id uuid not null references runs (id) on delete cascade,
        target_id text not null,
        event text not null check (event in ('started', 'succeeded', 'failed', 'cancelled')),
        kind text not null,
        status text not null default 'pending' check (status in ('pending', 'delivered', 'failed')),
        attempts integer not null default 0,
        last_error text null,
        snapshot jsonb not null,
        created_at timestamptz(3) not null default now(),
        updated_at timestamptz(3) not null default now(),
        primary key (run_id, target_id, event)
      );`);
    this.addSql(`create index notification_deliveries_pending_idx on notification_deliveries (updated_at) where status = 'pending';`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists notification_deliveries, schedule_fires;');
    this.addSql(`
      alter table jobs
        drop column if exists schedule_paused,
        drop column if exists schedule_overlap,
        drop column if exists schedule_missed,
        drop column if exists schedule_since,
        drop column if exists notifications;`);
  }
}
