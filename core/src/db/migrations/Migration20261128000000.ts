import { Migration } from '@mikro-orm/migrations';

/** Users, API tokens, jobs, runs and their log lines. */
export class Migration20261128000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table users (
        id uuid primary key default gen_random_uuid(),
        email text not null,
        name text not null default '',
        role text not null check (role in ('admin', 'user')),
        password_hash text not null,
        disabled boolean not null default false,
        created_at timestamptz(3) not null default now(),
        updated_at timestamptz(3) not null default now()
      );`);
    this.addSql(`create unique index users_email_key on users (lower(email));`);
    this.addSql(`
      create table api_tokens (
        id uuid primary key default gen_random_uuid(),
        user_id uuid not null references users (id) on delete cascade,
        name text not null,
        token_hash text not null unique,
        created_at timestamptz(3) not null default now(),
        expires_at timestamptz(3) null,
        last_used_at timestamptz(3) null
      );`);
    this.addSql(`create index api_tokens_user_idx on api_tokens (user_id, created_at desc);`);
    this.addSql(`
      create table jobs (
        id uuid primary key default gen_random_uuid(),
        name text not null,
        description text not null default '',
        type text not null,
        params jsonb not null default '{}',
        schedule_cron text null,
        schedule_timezone text null,
        timeout_sec integer null,
        max_attempts integer not null default 1,
        max_concurrent_runs integer null,
        owner_id uuid not null references users (id) on delete restrict,
        created_at timestamptz(3) not null default now(),
        updated_at timestamptz(3) not null default now()
      );`);
    this.addSql(`create index jobs_created_idx on jobs (created_at desc, id desc);`);
    this.addSql(`
      create table runs (
        id uuid primary key default gen_random_uuid(),
        job_id uuid not null references jobs (id) on delete cascade,
        status text not null check (status in ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
        params jsonb not null,
        attempt integer not null default 1,
        max_attempts integer not null,
        progress double precision null,
        queued_at timestamptz(3) not null default now(),
        started_at timestamptz(3) null,
        finished_at timestamptz(3) null,
        result jsonb null,
        error_code text null,
        error_message text null,
        trigger_kind text not null,
        trigger_user_id uuid null,
        rerun_of uuid null,
        log_count integer not null default 0,
        version integer not null default 1,
        timeout_sec integer null,
        not_before timestamptz(3) null,
        worker_id text null,
        queue_job_id text null,
        cancel_requested_at timestamptz(3) null
      );`);
    this.addSql(`create index runs_queued_idx on runs (queued_at desc, id desc);`);
    this.addSql(`create index runs_job_idx on runs (job_id, queued_at desc, id desc);`);
    this.addSql(`create index runs_status_idx on runs (status, queued_at desc, id desc);`);
    this.addSql(`create index runs_active_idx on runs (job_id, status) where status in ('queued', 'running');`);
    this.addSql(`
      create table run_logs (
        run_id uuid not null references runs (id) on delete cascade,
        seq integer not null,
        ts timestamptz(3) not null,
        stream text not null,
        text text not null,
        primary key (run_id, seq)
      );`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists run_logs, runs, jobs, api_tokens, users cascade;');
  }
}
