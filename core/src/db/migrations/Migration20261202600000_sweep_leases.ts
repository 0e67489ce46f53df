import { Migration } from '@mikro-orm/migrations';

/**
 * Who runs each periodic sweep (reconciling runs, reopening notifications,
 * schedules, purges): one row per sweep, held by one process until
 * `expires_at` and renewed by it before then.
 */
export class Migration20261202600000_sweep_leases extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table if not exists sweep_leases (
        name text primary key,
        holder text not null,
        expires_at timestamptz not null
      );`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists sweep_leases;`);
  }
}
