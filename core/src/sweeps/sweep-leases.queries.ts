import { defineStatement, type Sql, type Timestamp } from '../db';

/**
 * Takes each named lease that has expired and renews those `holder` already
 * holds, in one statement (no session state, so it works through a pooler in
 * transaction mode); returns the names `holder` holds afterwards.
 */
const renewStatement = defineStatement<{ name: string }, [names: string[], holder: string, ttlMs: number]>(
  'renew_sweep_leases',
  `insert into sweep_leases (name, holder, expires_at)
   select name, $2, now() + $3 * interval '1 millisecond' from unnest($1::text[]) as name
   on conflict (name) do update set holder = excluded.holder, expires_at = excluded.expires_at
   where sweep_leases.expires_at < now() or sweep_leases.holder = excluded.holder
   returning name`,
);

const releaseStatement = defineStatement<{ name: string }, [names: string[], holder: string]>(
  'release_sweep_leases',
  `delete from sweep_leases where name = any($1::text[]) and holder = $2 returning name`,
);

const listStatement = defineStatement<{ name: string; holder: string; expires_at: Timestamp }, []>(
  'list_sweep_leases',
  `select name, holder, expires_at from sweep_leases where expires_at > now() order by name`,
);

export const leaseStore = {
  renew: async (sql: Sql, names: string[], holder: string, ttlMs: number): Promise<Set<string>> =>
    new Set((await sql(renewStatement, [names, holder, ttlMs])).map((r) => r.name)),
  /** Hands the leases back at once, so another process takes them without waiting for them to expire. */
  release: (sql: Sql, names: string[], holder: string) => sql(releaseStatement, [names, holder]),
  /** The leases held right now, and by whom. */
  list: (sql: Sql) => sql(listStatement, []),
};
