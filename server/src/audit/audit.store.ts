import type Koa from 'koa';
import type { AuditAction, AuditEntryDto, AuditTargetType } from '@jobflow/shared';
import { createBatcher, iso, type Db } from '@jobflow/core/db';
import type { Logger } from '@jobflow/core/platform';
import { clientInfoOf } from '../auth/auth.middleware';
import { auditQueries, type AuditFilter, type AuditRow } from './audit.queries';

export type { AuditFilter } from './audit.queries';

/** One fact for the audit log. */
export interface AuditRecord {
  actor: { userId: string | null; tokenId: string | null; email: string | null };
  action: AuditAction;
  target: { type: AuditTargetType; id: string | null };
  changes?: Record<string, unknown> | null;
  ip: string | null;
  userAgent: string | null;
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
      await auditQueries.insert(
        db.sql,
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
    list: (filter: AuditFilter, limit: number, after: { at: string; id: string } | null): Promise<AuditRow[]> =>
      auditQueries.list(db.sql, filter, limit, after),

    /** Deletes up to `batch` entries older than `days` days; returns how many went. */
    purge: (days: number, batch: number): Promise<number> => auditQueries.purge((fn) => db.tx(fn), days, batch),
  };
}

export type AuditLog = ReturnType<typeof createAuditLog>;

/** How often the server holding the `audit-purge` sweep lease purges, and how many entries per statement. */
export const AUDIT_PURGE_INTERVAL_MS = 3600_000;
const PURGE_BATCH = 1000;

/** Keeps the audit log to `days` days (0: forever), purging in small batches so no statement holds many rows. */
export async function purgeOldAuditEntries(audit: AuditLog, days: number, log: Logger): Promise<void> {
  if (days <= 0) return;
  let total = 0;
  for (let n = PURGE_BATCH; n === PURGE_BATCH; total += n) n = await audit.purge(days, PURGE_BATCH);
  if (total) log.info('purged old audit entries', { rows: total, olderThanDays: days });
}
