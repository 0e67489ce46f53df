import { Migration } from '@mikro-orm/migrations';

/**
 * Files runs attach: one row per artifact, and its content in 1 MiB chunk
 * rows when stored in PostgreSQL (plain rows, so a pooler in transaction
 * mode is no obstacle), or an object key when stored in an S3 bucket. Both
 * go with their run.
 */
export class Migration20261202400000_run_artifacts extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table run_artifacts (
        run_id uuid not null references runs (id) on delete cascade,
        name text not null,
        size bigint not null check (size >= 0),
        content_type text not null,
        store text not null check (store in ('postgres', 's3')),
        object_key text null,
        created_at timestamptz not null default now(),
        primary key (run_id, name)
      );`);
    this.addSql(`
      create table artifact_chunks (
        run_id uuid not null,
        name text not null,
        idx int not null check (idx >= 0),
        data bytea not null,
        primary key (run_id, name, idx),
        foreign key (run_id, name) references run_artifacts (run_id, name) on delete cascade
      );`);
    // Chunks are read one by one, already compressed or not worth compressing again.
    this.addSql(`alter table artifact_chunks alter column data set storage external;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists artifact_chunks;`);
    this.addSql(`drop table if exists run_artifacts;`);
  }
}
