import { Migration } from '@mikro-orm/migrations';

/** Finished runs by finish time, for the dashboard's per-hour counts. */
export class Migration20261128110000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create index runs_finished_idx on runs (finished_at, status) where finished_at is not null;`);
  }

  override async down(): Promise<void> {
    this.addSql('drop index if exists runs_finished_idx;');
  }
}
