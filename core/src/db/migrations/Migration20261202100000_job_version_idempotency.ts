import { Migration } from '@mikro-orm/migrations';

/**
 * Jobs carry a `version` that grows by one with each change (`ETag`,
 * `If-Match`); `idempotency_keys` remembers, per user and key for 24 hours,
 * which request started which run and what it answered.
 */
export class Migration20261202100000_job_version_idempotency extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table jobs add column version integer not null default 1;`);
    this.addSql(`
      create table idempotency_keys (
        user_id uuid not null references users (id) on delete cascade,
        key text not null,
        fingerprint text not null,
        status integer null,
        response jsonb null,
        created_at timestamptz not null default now(),
        primary key (user_id, key)
      );`);
    this.addSql(`create index idempotency_keys_created_at on idempotency_keys (created_at);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists idempotency_keys;`);
    this.addSql(`alter table jobs drop column if exists version;`);
  }
}
