import { Migration } from '@mikro-orm/migrations';

/**
 * The audit log: one row per sign-in, sign-out, token, user, job and run
 * action. Append-only: a trigger refuses every UPDATE, every TRUNCATE and
 * every DELETE except the retention purge's (which says so for its
 * transaction, and may only take entries more than a day old).
 */
export class Migration20261201110000AuditLog extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table audit_log (
        id uuid primary key default gen_random_uuid(),
        at timestamptz(3) not null default now(),
        actor_user_id uuid null,
        actor_token_id uuid null,
        actor_email text null,
        action text not null,
        target_type text not null,
        target_id text null,
        changes jsonb null,
        ip text null,
        user_agent text null
      );`);
    this.addSql(`create index audit_log_at_idx on audit_log (at desc, id desc);`);
    this.addSql(`create index audit_log_actor_idx on audit_log (actor_user_id, at desc, id desc);`);
    this.addSql(`create index audit_log_target_idx on audit_log (target_type, target_id, at desc, id desc);`);
    this.addSql(`create index audit_log_action_idx on audit_log (action, at desc, id desc);`);
    this.addSql(`
      create function audit_log_append_only() returns trigger language plpgsql as $$
      begin
        if tg_op = 'DELETE' and current_setting('jobflow.audit_purge', true) = 'on' and old.at < now() - interval '1 day' then
          return old;
        end if;
        raise exception 'audit_log is append-only: % refused', tg_op;
      end $$;`);
    this.addSql(`create trigger audit_log_append_only before update or delete on audit_log for each row execute function audit_log_append_only();`);
    this.addSql(`create trigger audit_log_no_truncate before truncate on audit_log for each statement execute function audit_log_append_only();`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists audit_log;');
    this.addSql('drop function if exists audit_log_append_only();');
  }
}
