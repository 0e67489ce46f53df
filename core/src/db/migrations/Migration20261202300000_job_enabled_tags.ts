import { Migration } from '@mikro-orm/migrations';

/** A job can be disabled (it neither runs nor fires) and carries tags to find it by. */
export class Migration20261202300000_job_enabled_tags extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table jobs add column if not exists enabled boolean not null default true;`);
    this.addSql(`alter table jobs add column if not exists tags text[] not null default '{}';`);
    this.addSql(`create index if not exists jobs_tags_idx on jobs using gin (tags);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists jobs_tags_idx;`);
    this.addSql(`alter table jobs drop column if exists tags;`);
    this.addSql(`alter table jobs drop column if exists enabled;`);
  }
}
