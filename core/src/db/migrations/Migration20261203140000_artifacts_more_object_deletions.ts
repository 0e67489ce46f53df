import { Migration } from '@mikro-orm/migrations';

/**
 * Bucket objects whose artifact rows are gone, waiting to be deleted from the
 * S3 bucket. A trigger queues the key in the transaction that deletes the row
 * (a run purged by retention, a job deleted with its runs, anything that
 * cascades), so no path that deletes runs can leave an object behind, and no
 * call to the bucket is ever made inside that transaction. The queue is
 * drained after the fact; a key the bucket did not take is tried again later.
 */
export class Migration20261203140000_artifacts_more_object_deletions extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table artifact_object_deletions (
        object_key text primary key,
        queued_at timestamptz not null default now(),
        failures int not null default 0,
        last_error text null
      );`);
    this.addSql(`
      create function run_artifacts_queue_object_deletion() returns trigger language plpgsql as $$
      begin
        insert into artifact_object_deletions (object_key) values (old.object_key) on conflict (object_key) do nothing;
        return null;
      end $$;`);
    this.addSql(`
      create trigger run_artifacts_object_deleted after delete on run_artifacts
        for each row when (old.object_key is not null) execute function run_artifacts_queue_object_deletion();`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop trigger if exists run_artifacts_object_deleted on run_artifacts;`);
    this.addSql(`drop function if exists run_artifacts_queue_object_deletion();`);
    this.addSql(`drop table if exists artifact_object_deletions;`);
  }
}
