import { Migration } from '@mikro-orm/migrations';

/** A due time of a job whose owner is disabled is recorded as `paused-owner-disabled` (and starts nothing). */
export class Migration20261201120000OwnerPause extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table schedule_fires drop constraint if exists schedule_fires_outcome_check;`);
    this.addSql(`
      alter table schedule_fires add constraint schedule_fires_outcome_check
        check (outcome in ('started', 'skipped-overlap', 'missed', 'caught-up', 'paused-owner-disabled'));`);
  }

  override async down(): Promise<void> {
    this.addSql(`delete from schedule_fires where outcome = 'paused-owner-disabled';`);
    this.addSql(`alter table schedule_fires drop constraint if exists schedule_fires_outcome_check;`);
    this.addSql(
      `alter table schedule_fires add constraint schedule_fires_outcome_check check (outcome in ('started', 'skipped-overlap', 'missed', 'caught-up'));`,
    );
  }
}
