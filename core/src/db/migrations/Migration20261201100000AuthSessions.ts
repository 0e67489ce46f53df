import { Migration } from '@mikro-orm/migrations';
import { normalizeEmail } from '@jobflow/shared';

/**
 * Sessions that can be ended: each user's session generation (a session
 * carries the one it began with). Emails are stored in the one normalised
 * spelling (NFKC, lower case) that sign-in looks up, unique as stored.
 */
export class Migration20261201100000AuthSessions extends Migration {
  override async up(): Promise<void> {
    await this.execute(`alter table users add column session_generation integer not null default 0`);
    await this.execute(`drop index if exists users_email_key`);
    // Normalised in JavaScript, exactly as sign-in does (PostgreSQL's lower() follows the collation and differs, e.g. for U+0130).
    // If two existing accounts normalise alike, the one already spelled so (else the older) gets the address and the
    // other keeps its stored spelling (an admin sees both and can remove one); nothing is lost.
    const rows = (await this.execute(`select id, email from users order by created_at, id`)) as { id: string; email: string }[];
    const taken = new Set(rows.map((r) => r.email));
    for (const row of rows) {
      const normal = normalizeEmail(row.email);
      if (normal === row.email || taken.has(normal)) continue;
      taken.delete(row.email);
      taken.add(normal);
      await this.execute(`update users set email = ? where id = ?`, [normal, row.id]);
    }
    await this.execute(`create unique index users_email_key on users (email)`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists users_email_key;`);
    this.addSql(`create unique index users_email_key on users (lower(email));`);
    this.addSql(`alter table users drop column if exists session_generation;`);
  }
}
