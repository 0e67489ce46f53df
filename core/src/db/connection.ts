import type { ConnectionOptions } from 'node:tls';

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
   * TLS for both pools, e.g. as parsed from the URL's `sslmode` and
   * `sslrootcert`. Left out: the URL (and `PGSSLMODE`) decide, as `pg` reads them.
   */
  ssl?: boolean | ConnectionOptions;
  /**
   * Whether the hand-written statements are prepared under their names, once
   * per connection (the default). A pooler in transaction mode hands each
   * transaction a different server connection, so behind one set this to
   * false: every statement then runs unnamed.
   */
  usePreparedStatements?: boolean;
}

export const DEFAULT_POOL_MAX = 10;
