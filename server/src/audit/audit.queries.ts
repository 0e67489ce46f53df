import type { AuditAction, AuditTargetType } from '@jobflow/shared';
import { defineStatement, type Sql, type Statement, type Timestamp } from '@jobflow/core/db';

/** One stored audit entry. */
export interface AuditRow {
  id: string;
  at: Timestamp;
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

/** An entry to store: every column but the id and the time, which the database sets. */
export type NewAuditRow = Omit<AuditRow, 'id' | 'at'>;

export interface AuditFilter {
  actor?: string;
  action?: AuditAction;
  targetType?: AuditTargetType;
  targetId?: string;
  since?: Date;
  until?: Date;
}

const insertStatement = defineStatement<Record<string, never>, [entries: string]>(
  'insert_audit_entries',
  `insert into audit_log (actor_user_id, actor_token_id, actor_email, action, target_type, target_id, changes, ip, user_agent)
   select actor_user_id, actor_token_id, actor_email, action, target_type, target_id, changes, ip, user_agent
   from json_to_recordset($1::json) as t(actor_user_id uuid, actor_token_id uuid, actor_email text, action text, target_type text,
                                         target_id text, changes jsonb, ip text, user_agent text)`,
);

/** The trigger refusing deletes lets this transaction's through: the retention purge, and nothing else. */
const allowPurgeStatement = defineStatement<{ set_config: string }>('allow_audit_purge', `select set_config('jobflow.audit_purge', 'on', true)`);

const purgeStatement = defineStatement<{ id: string }, [days: number, batch: number]>(
  'purge_audit_entries',
  `delete from audit_log where id in (
     select id from audit_log where at < now() - $1 * interval '1 day' order by at limit $2 for update skip locked
   ) returning id`,
);

type Value = string;

/** Each filter: its key in the statement's name, its condition (`$` numbered in order) and its value. */
const FILTERS: { key: string; condition: string; value: (f: AuditFilter) => Value | undefined }[] = [
  { key: 'actor', condition: 'actor_user_id = $', value: (f) => f.actor },
  { key: 'action', condition: 'action = $', value: (f) => f.action },
  { key: 'target_type', condition: 'target_type = $', value: (f) => f.targetType },
  { key: 'target', condition: 'target_id = $', value: (f) => f.targetId },
  { key: 'since', condition: 'at >= $', value: (f) => f.since?.toISOString() },
  { key: 'until', condition: 'at < $', value: (f) => f.until?.toISOString() },
];

/** One statement per combination of filters in use (`list_audit_entries_action_after`...), defined the first time it is asked for. */
const listStatements = new Map<string, Statement<AuditRow, (Value | number)[]>>();

function listStatementFor(keys: string[], conditions: string[]): Statement<AuditRow, (Value | number)[]> {
  const name = ['list_audit_entries', ...keys].join('_');
  let statement = listStatements.get(name);
  if (!statement) {
    let n = 0;
    const numbered = conditions.map((c) => c.replace(/\$/g, () => `$${++n}`));
    statement = defineStatement<AuditRow, (Value | number)[]>(
      name,
      `select * from audit_log ${numbered.length ? 'where ' + numbered.join(' and ') : ''} order by at desc, id desc limit $${++n}`,
    );
    listStatements.set(name, statement);
  }
  return statement;
}

/** The `audit_log` table: append-only (the database refuses updates, and deletes but the purge's). */
export const auditQueries = {
  /** Stores entries, in one statement. */
  async insert(sql: Sql, entries: NewAuditRow[]): Promise<void> {
    await sql(insertStatement, [JSON.stringify(entries)]);
  },

  /** Entries newest first, narrowed by `filter`, after a keyset cursor on (at, id). */
  list(sql: Sql, filter: AuditFilter, limit: number, after: { at: string; id: string } | null): Promise<AuditRow[]> {
    const keys: string[] = [];
    const conditions: string[] = [];
    const params: Value[] = [];
    for (const f of FILTERS) {
      const value = f.value(filter);
      if (value === undefined || value === '') continue;
      keys.push(f.key);
      conditions.push(f.condition);
      params.push(value);
    }
    if (after) {
      keys.push('after');
      conditions.push('(at, id) < ($, $)');
      params.push(after.at, after.id);
    }
    return sql(listStatementFor(keys, conditions), [...params, limit]);
  },

  /** Deletes up to `batch` entries older than `days` days, in one transaction of `tx`; returns how many went. */
  async purge(tx: (fn: (sql: Sql) => Promise<number>) => Promise<number>, days: number, batch: number): Promise<number> {
    return tx(async (sql) => {
      await sql(allowPurgeStatement, []);
      return (await sql(purgeStatement, [days, batch])).length;
    });
  },
};
