import { Migration } from '@mikro-orm/migrations';

/** Which secrets key every stored secret has been sealed with: sealing scans the tables once per key. */
export class Migration20261130141700_secret_seals extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table secret_seals (key_id text primary key, sealed_at timestamptz not null default now());`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists secret_seals;');
  }
}
