import pg from 'pg';

/** Transactions this process ended on PostgreSQL, counted at the client. */
export interface PgCounts {
  /** Statements sent (BEGIN/COMMIT/ROLLBACK excluded). */
  statements: number;
  /** Committed transactions: each autocommit statement, and each COMMIT (what pg_stat_database.xact_commit counts). */
  commits: number;
  /** The commits among them that wrote (insert, update or delete). */
  writeCommits: number;
  rollbacks: number;
}

const counts: PgCounts = { statements: 0, commits: 0, writeCommits: 0, rollbacks: 0 };
const isWrite = /\b(insert|update|delete)\b/i;
let isInstalled = false;

/**
 * Counts every statement and transaction the `pg` driver of this process
 * sends (Knex and MikroORM go through it too). The bench needs exact
 * per-window figures; pg_stat_database flushes an idle backend's counters
 * only every few seconds, so it serves as a whole-benchmark cross-check.
 */
export function installPgCounter(): void {
  if (isInstalled) return;
  isInstalled = true;
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  const txState = new WeakMap<object, { hasWrite: boolean }>();
  proto.query = function (this: object, ...args: unknown[]) {
    const first = args[0];
    const text = typeof first === 'string' ? first : first && typeof first === 'object' && 'text' in first ? String((first as { text: unknown }).text) : '';
    const head = text.trimStart().slice(0, 12).toLowerCase();
    const tx = txState.get(this);
    if (head.startsWith('begin') || head.startsWith('start transa')) {
      txState.set(this, { hasWrite: false });
    } else if (head.startsWith('commit')) {
      counts.commits++;
      if (tx?.hasWrite) counts.writeCommits++;
      txState.delete(this);
    } else if (head.startsWith('rollback') && !head.startsWith('rollback to')) {
      counts.rollbacks++;
      txState.delete(this);
    } else if (!head.startsWith('savepoint') && !head.startsWith('release') && !head.startsWith('rollback')) {
      counts.statements++;
      const writes = isWrite.test(text);
      if (tx) tx.hasWrite ||= writes;
      else {
        counts.commits++;
        if (writes) counts.writeCommits++;
      }
    }
    return original.apply(this, args);
  };
}

export const readPgCounts = (): PgCounts => ({ ...counts });

export const diffPgCounts = (a: PgCounts, b: PgCounts): PgCounts => ({
  statements: b.statements - a.statements,
  commits: b.commits - a.commits,
  writeCommits: b.writeCommits - a.writeCommits,
  rollbacks: b.rollbacks - a.rollbacks,
});
