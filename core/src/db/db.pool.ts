import pg from 'pg';
import { pgConnectionConfig } from '../platform';
import { DEFAULT_POOL_MAX, type DbOptions } from './connection';
import type { Sql, Statement } from './statement';

/** The hand-written statements' access to PostgreSQL. */
export interface Db {
  /** Runs one statement on a pooled connection, in a transaction of its own. */
  sql: Sql;
  /** Runs `fn` in one transaction on one connection: committed when it resolves, rolled back when it throws. */
  tx<T>(fn: (sql: Sql) => Promise<T>): Promise<T>;
  /** Resolves when PostgreSQL answers. */
  ping(): Promise<void>;
  /** The pool's connections now: lent out, idle, and statements waiting for one. */
  poolCounts(): { used: number; idle: number; waiting: number };
  close(): Promise<void>;
}

/**
 * Timestamps and intervals arrive as PostgreSQL's text (as MikroORM's
 * connections hand them over too): the statements that need ISO strings
 * format them in SQL, and a row read by the thousand is not worth a Date per
 * column.
 */
const TEXT_TYPES = (() => {
  const types = new pg.TypeOverrides();
  const { DATE, TIMESTAMP, TIMESTAMPTZ, INTERVAL } = pg.types.builtins;
  for (const oid of [DATE, TIMESTAMP, TIMESTAMPTZ, INTERVAL]) types.setTypeParser(oid, (value: string) => value);
  return types;
})();

/** How long an idle connection is kept (statements prepared on it are lost with it). */
const IDLE_MS = 30_000;

/** An error that leaves the connection unusable (rather than a statement PostgreSQL refused). */
const isConnectionError = (e: unknown) => {
  const code = (e as { code?: unknown })?.code;
  return !(e instanceof pg.DatabaseError) || (typeof code === 'string' && (code.startsWith('08') || code.startsWith('57P')));
};

/** PostgreSQL refuses a prepared statement whose result shape changed under it (a migration ran meanwhile). */
const isStalePlan = (e: unknown) => (e as { code?: unknown })?.code === '0A000' && /cached plan/.test(String((e as Error).message));

/**
 * The pool of the hand-written statements: plain `pg`, on its own
 * connections, with parameters bound by PostgreSQL rather than spliced into
 * the text. Each statement is prepared once per connection under its name
 * (the hot ones run thousands of times a second), unless
 * `usePreparedStatements` is false.
 */
export function createDb(o: DbOptions): Db {
  const usePrepared = o.usePreparedStatements ?? true;
  const pool = new pg.Pool({
    ...pgConnectionConfig(o.databaseUrl, o.ssl),
    max: o.poolMax ?? DEFAULT_POOL_MAX,
    idleTimeoutMillis: IDLE_MS,
    types: TEXT_TYPES,
  });
  // An idle connection dropped by the server: the pool discards it and the next statement opens another.
  pool.on('error', () => {});

  const runOn =
    (client: pg.PoolClient): Sql =>
    async <Row, Params extends readonly unknown[]>(statement: Statement<Row, Params>, params: Params) => {
      const query = { text: statement.text, values: [...params], name: usePrepared ? statement.name : undefined };
      try {
        return (await client.query(query)).rows as Row[];
      } catch (e) {
        if (!query.name || !isStalePlan(e)) throw e;
        // Prepare it afresh, once: forget the old plan on the server and in the driver.
        await client.query(`deallocate ${query.name}`).catch(() => {});
        delete (client as unknown as { connection: { parsedStatements: Record<string, string> } }).connection.parsedStatements[query.name];
        return (await client.query(query)).rows as Row[];
      }
    };

  async function withClient<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    try {
      const value = await fn(client);
      client.release();
      return value;
    } catch (e) {
      client.release(isConnectionError(e) ? (e as Error) : undefined);
      throw e;
    }
  }

  return {
    sql: (statement, params) => withClient((client) => runOn(client)(statement, params)),
    tx: (fn) =>
      withClient(async (client) => {
        await client.query('begin');
        try {
          const value = await fn(runOn(client));
          await client.query('commit');
          return value;
        } catch (e) {
          await client.query('rollback').catch(() => {});
          throw e;
        }
      }),
    ping: () => withClient(async (client) => void (await client.query('select 1'))),
    // A request made while a connection is idle is queued until the next tick, then served: it does not wait for one.
    poolCounts: () => ({ used: pool.totalCount - pool.idleCount, idle: pool.idleCount, waiting: pool.idleCount > 0 ? 0 : pool.waitingCount }),
    close: () => pool.end(),
  };
}
