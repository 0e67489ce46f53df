import type { PostgresTls } from '../platform';

/**
 * How a process reaches PostgreSQL. Both of its pools are built from this
 * one value (the `pg` pool of the hand-written statements and MikroORM's),
 * so a setting made here holds for every connection the process opens.
 */
export interface DbOptions {
  /** `postgres://user:password@host:port/database` */
  databaseUrl: string;
  /** Connections per pool at most; each pool opens them only when needed. */
  poolMax?: number;
  /**
   * TLS for both pools, as `postgresTls` parses it from the URL's `sslmode`,
   * `sslrootcert`, `sslcert` and `sslkey` (a process parses it once, with its
   * configuration). Left out: parsed from `databaseUrl` here.
   */
  ssl?: PostgresTls;
  /**
   * Whether the hand-written statements are prepared under their names, once
   * per connection (the default). A pooler in transaction mode hands each
   * transaction a different server connection, so behind one set this to
   * false: every statement then runs unnamed.
   */
  usePreparedStatements?: boolean;
}

export const DEFAULT_POOL_MAX = 10;
