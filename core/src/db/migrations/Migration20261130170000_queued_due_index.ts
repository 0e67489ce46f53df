import { Migration } from '@mikro-orm/migrations';

/** Queued runs by the time they are due, so the queue depth and the oldest wait are read from a small index when scraped. */
export class Migration20261130170000_queued_due_index extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create index runs_queued_due_idx on runs ((coalesce(not_before, queued_at))) where status = 'queued';`);
  }

  override async down(): Promise<void> {
    this.addSql('drop index if exists runs_queued_due_idx;');
  }
}
