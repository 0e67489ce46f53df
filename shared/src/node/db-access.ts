import type { Knex } from '@mikro-orm/postgresql';
import type { Orm } from './db';
import type { Sql } from './sql';

/** SQL access for the hand-written statements: plain, or inside one transaction. */
export interface Db {
  sql: Sql;
  tx<T>(fn: (sql: Sql) => Promise<T>): Promise<T>;
}

export function dbOf(orm: Orm): Db {
  const conn = orm.em.getConnection();
  const run =
    (ctx?: Knex.Transaction): Sql =>
    (query, params = []) =>
      conn.execute(query, params as unknown[], 'all', ctx);
  return {
    sql: run(),
    tx: (fn) => conn.transactional((trx) => fn(run(trx))),
  };
}
