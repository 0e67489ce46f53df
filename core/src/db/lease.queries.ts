import type { Db } from './db.pool';
import { defineStatement } from './statement';

const takeLeaseStatement = defineStatement<{ holder: string }, [name: string, holder: string, ttlMs: number]>(
  'take_lease',
  `insert into platform_leases (name, holder, expires_at) values ($1, $2, now() + $3 * interval '1 millisecond')
   on conflict (name) do update set holder = excluded.holder, expires_at = excluded.expires_at
   where platform_leases.holder = excluded.holder or platform_leases.expires_at < now()
   returning holder`,
);

const releaseLeaseStatement = defineStatement<{ name: string }, [name: string, holder: string]>(
  'release_lease',
  `delete from platform_leases where name = $1 and holder = $2 returning name`,
);

/**
 * A duty that one process at a time performs (the retention sweep), elected
 * through a row of `platform_leases`: whoever holds the unexpired row holds
 * the duty, and renews it before each round of work. A holder that stops
 * renewing loses it after `ttlMs`; another process then takes it over.
 */
export interface Lease {
  /** Takes or renews the lease; true while this process holds it. */
  take(): Promise<boolean>;
  /** Gives it up at once (on shutdown), so another process need not wait for it to lapse. */
  release(): Promise<void>;
}

export function createLease(db: Db, name: string, holder: string, ttlMs: number): Lease {
  return {
    take: async () => (await db.sql(takeLeaseStatement, [name, holder, ttlMs])).length === 1,
    release: async () => void (await db.sql(releaseLeaseStatement, [name, holder])),
  };
}
