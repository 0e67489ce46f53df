import type Koa from 'koa';
import type { AuditAction, AuditEntryDto, AuditTargetType } from '@jobflow/shared';
import { createBatcher, iso, type Db } from '@jobflow/core/db';
import type { Logger } from '@jobflow/core/platform';
import { clientInfoOf } from '../auth/auth.middleware';

/** One fact for the audit log. */
export interface AuditRecord {
  actor: { userId: string | null; tokenId: string | null; email: string | null };
  action: AuditAction;
  target: { type: AuditTargetType; id: string | null };
  changes?: Record<string, unknown> | null;
  ip: string | null;
  userAgent: string | null;
}

export interface AuditFilter {
  actor?: string;
  action?: AuditAction;
  targetType?: AuditTargetType;
  targetId?: string;
  since?: Date;
  until?: Date;
}

interface AuditRow {
  id: string;
  at: Date | string;
  actor_user_id: string | null;
  actor_token_id: string | null;
  actor_email: string | null;
  action: AuditAction;
  target_type: AuditTargetType;
  target_id: string | null;
  changes: Record<string, unknown> | null;
  ip: string | null;
  user_agent: string | null;
}

export const toAuditEntryDto = (r: AuditRow): AuditEntryDto => ({
  id: r.id,
  at: iso(r.at)!,
  actor: { userId: r.actor_user_id, tokenId: r.actor_token_id, email: r.actor_email },
  action: r.action,
  target: { type: r.target_type, id: r.target_id },
  changes: r.changes,
  ip: r.ip,
  userAgent: r.user_agent,
});

/** Entries per insert statement, and statements in flight. */
const MAX_BATCH = 500;
const MAX_IN_FLIGHT = 1;

/**
 * The append-only audit log (table `audit_log`). Entries recorded at the same
 * moment go to PostgreSQL together in one statement, so recording never adds
 * a round trip of its own to a busy path; the database refuses to change or
 * delete an entry, except the retention purge of old ones.
 */
export function createAuditLog({ db, log }: { db: Db; log: Logger }) {
  const insert = createBatcher<AuditRecord, void>({
    maxBatch: MAX_BATCH,
    maxInFlight: MAX_IN_FLIGHT,
    run: async (records) => {
      await db.sql(
        `insert into audit_log (actor_user_id, actor_token_id, actor_email, action, target_type, target_id, changes, ip, user_agent)
         select actor_user_id, actor_token_id, actor_email, action, target_type, target_id, changes, ip, user_agent
         from json_to_recordset(?::json) as t(actor_user_id uuid, actor_token_id uuid, actor_email text, action text, target_type text,
                                              target_id text, changes jsonb, ip text, user_agent text)`,
        [
          JSON.stringify(
            records.map((r) => ({
              actor_user_id: r.actor.userId,
              actor_token_id: r.actor.tokenId,
              actor_email: r.actor.email,
              action: r.action,
              target_type: r.target.type,
              target_id: r.target.id,
              changes: r.changes ?? null,
              ip: r.ip,
              user_agent: r.userAgent,
            })),
          ),
        ],
      );
      return records.map(() => undefined);
    },
  });

  /** Records an entry; resolves once it is stored. A failure is logged, never thrown at the action it describes. */
  const record = (entry: AuditRecord): Promise<void> =>
    insert(entry).catch((error) => log.error('could not write an audit entry', { action: entry.action, target: entry.target, error }));

  return {
    record,

    /** Records what the signed-in caller of `ctx` did, from where they did it. */
    recordRequest(ctx: Koa.Context, action: AuditAction, target: AuditRecord['target'], changes?: Record<string, unknown> | null): Promise<void> {
      const who = ctx.state.principal;
      const client = clientInfoOf(ctx);
      return record({
        actor: { userId: who?.id ?? null, tokenId: who?.tokenId ?? null, email: who?.email ?? null },
        action,
        target,
        changes,
        ip: client.ip,
        userAgent: client.userAgent,
      });
    },

    /** Entries newest first, keyset-paginated on (at, id). */
    async list(filter: AuditFilter, limit: number, after: { at: string; id: string } | null): Promise<AuditRow[]> {
      const conditions: string[] = [];
      const params: unknown[] = [];
      const where = (condition: string, value: unknown) => {
        conditions.push(condition);
        params.push(value);
      };
      if (filter.actor) where('actor_user_id = ?', filter.actor);
      if (filter.action) where('action = ?', filter.action);
      if (filter.targetType) where('target_type = ?', filter.targetType);
      if (filter.targetId) where('target_id = ?', filter.targetId);
      if (filter.since) where('at >= ?', filter.since);
      if (filter.until) where('at < ?', filter.until);
      if (after) {
        conditions.push('(at, id) < (?, ?)');
        params.push(after.at, after.id);
      }
      return db.sql<AuditRow>(`select * from audit_log ${conditions.length ? 'where ' + conditions.join(' and ') : ''} order by at desc, id desc limit ?`, [
        ...params,
        limit,
      ]);
    },

    /** Deletes up to `batch` entries older than `days` days; returns how many went. */
    async purge(days: number, batch: number): Promise<number> {
      return db.tx(async (sql) => {
        await sql(`select set_config('jobflow.audit_purge', 'on', true)`);
        const rows = await sql(
          `delete from audit_log where id in (select id from audit_log where at < now() - ? * interval '1 day' order by at limit ? for update skip locked) returning 1`,
          [days, batch],
        );
        return rows.length;
      });
    },
  };
}

export type AuditLog = ReturnType<typeof createAuditLog>;

/** How often each server purges, and how many entries per statement. */
const PURGE_INTERVAL_MS = 3600_000;
const PURGE_BATCH = 1000;

/** Keeps the audit log to `days` days (0: forever), purging in small batches so no statement holds many rows. */
export function startAuditPurge(audit: AuditLog, days: number, log: Logger, intervalMs = PURGE_INTERVAL_MS): { stop(): Promise<void> } {
  if (days <= 0) return { stop: async () => {} };
  let running: Promise<void> | null = null;
  let stopped = false;
  const pass = async () => {
    let total = 0;
    for (let n = PURGE_BATCH; n === PURGE_BATCH && !stopped; total += n) n = await audit.purge(days, PURGE_BATCH);
    if (total) log.info('purged old audit entries', { rows: total, olderThanDays: days });
  };
  const tick = () => {
    if (running || stopped) return;
    running = pass()
      .catch((error) => log.warn('purging the audit log failed; will try again', { error: (error as Error).message }))
      .finally(() => (running = null));
  };
  const first = setTimeout(tick, 10_000);
  const timer = setInterval(tick, intervalMs);
  first.unref();
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearTimeout(first);
      clearInterval(timer);
      await running;
    },
  };
}
