import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { Orm } from './orm';
import type { Sql } from './sql';

/** SQL access for the hand-written statements: plain, or inside one transaction. */
export interface Db {
  sql: Sql;
  tx<T>(fn: (sql: Sql) => Promise<T>): Promise<T>;
}

/** The ORM's connection pool (Knex's), lending raw `pg` clients. */
interface KnexClient {
  acquireConnection(): Promise<pg.ClientBase>;
  releaseConnection(connection: pg.ClientBase): Promise<unknown>;
}

/**
 * A statement written with `?` placeholders, turned into PostgreSQL's `$n`
 * form. `?` inside quoted strings, quoted identifiers, dollar-quoted strings
 * and comments is left alone.
 */
export function toPositional(query: string): string {
  let out = '';
  let n = 0;
  let i = 0;
  while (i < query.length) {
    const c = query[i]!;
    if (c === '?') {
      out += `$${++n}`;
      i++;
      continue;
    }
    let end = i + 1;
    if (c === "'" || c === '"') {
      end = query.indexOf(c, i + 1);
      while (end !== -1 && query[end + 1] === c) end = query.indexOf(c, end + 2);
      end = end === -1 ? query.length : end + 1;
    } else if (c === '-' && query[i + 1] === '-') {
      end = query.indexOf('\n', i);
      end = end === -1 ? query.length : end;
    } else if (c === '/' && query[i + 1] === '*') {
      end = query.indexOf('*/', i + 2);
      end = end === -1 ? query.length : end + 2;
    } else if (c === '$') {
      const tag = /^\$[A-Za-z_][A-Za-z0-9_]*\$|^\$\$/.exec(query.slice(i, i + 64))?.[0];
      if (tag) {
        end = query.indexOf(tag, i + tag.length);
        end = end === -1 ? query.length : end + tag.length;
      }
    }
    out += query.slice(i, end);
    i = end;
  }
  return out;
}

/** Statements prepared by name: a fixed set of texts (the hand-written ones); any beyond it run unnamed. */
const MAX_NAMED_STATEMENTS = 500;
const prepared = new Map<string, { text: string; name: string }>();

function statementOf(query: string): { text: string; name?: string } {
  const known = prepared.get(query);
  if (known) return known;
  const text = toPositional(query);
  if (prepared.size >= MAX_NAMED_STATEMENTS) return { text };
  const entry = { text, name: `jf_${createHash('sha1').update(text).digest('hex').slice(0, 20)}` };
  prepared.set(query, entry);
  return entry;
}

/** Runs `query` on `client` as a prepared statement: PostgreSQL parses and plans it once per connection. */
const run =
  (client: pg.ClientBase): Sql =>
  async <T>(query: string, params: readonly unknown[] = []) => {
    const { text, name } = statementOf(query);
    try {
      return (await client.query({ text, name, values: params as unknown[] })).rows as T[];
    } catch (e) {
      // The schema changed under a statement this connection prepared earlier: prepare it afresh, once.
      if (!name || (e as { code?: string }).code !== '0A000' || !/cached plan/.test(String((e as Error).message))) throw e;
      await client.query(`deallocate ${name}`).catch(() => {});
      delete (client as unknown as { connection: { parsedStatements: Record<string, string> } }).connection.parsedStatements[name];
      return (await client.query({ text, name, values: params as unknown[] })).rows as T[];
    }
  };

/**
 * The hand-written statements go straight to the `pg` driver on the ORM's
 * own pool, with parameters bound by PostgreSQL rather than spliced into the
 * text: no escaping in JavaScript, and each statement is prepared once per
 * connection (the hot ones run thousands of times a second).
 */
export function dbOf(orm: Orm): Db {
  const knex = orm.em.getConnection().getKnex().client as unknown as KnexClient;
  async function withClient<T>(fn: (client: pg.ClientBase) => Promise<T>): Promise<T> {
    const client = await knex.acquireConnection();
    try {
      return await fn(client);
    } finally {
      await knex.releaseConnection(client);
    }
  }
  return {
    sql: (query, params) => withClient((client) => run(client)(query, params)),
    tx: (fn) =>
      withClient(async (client) => {
        await client.query('begin');
        try {
          const value = await fn(run(client));
          await client.query('commit');
          return value;
        } catch (e) {
          await client.query('rollback').catch(() => {});
          throw e;
        }
      }),
  };
}
