import { MikroORM } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import pg from 'pg';
import { DEFAULT_POOL_MAX, type DbOptions } from './connection';
import { entities } from './entities';
import { migrations } from './migrations';

export type Orm = MikroORM;

/** Opens the ORM on `databaseUrl` (the database must exist). */
export async function createOrm(o: DbOptions): Promise<Orm> {
  return MikroORM.init({
    clientUrl: o.databaseUrl,
    entities,
    extensions: [Migrator],
    discovery: { disableDynamicFileAccess: true, requireEntitiesArray: true },
    migrations: { migrationsList: migrations, transactional: true, allOrNothing: true, snapshot: false },
    pool: { min: 0, max: o.poolMax ?? DEFAULT_POOL_MAX },
    ...(o.ssl === undefined ? {} : { driverOptions: { connection: { ssl: o.ssl } } }),
    allowGlobalContext: false,
    debug: false,
    ensureDatabase: false,
  });
}

/** Throws PostgreSQL's own error when the database or its Jobflow schema is missing (3D000 / 42P01). */
export async function checkSchema(orm: Orm): Promise<void> {
  await orm.em.getConnection().execute('select 1 from runs limit 0');
}

/** Applies every pending migration; returns the names applied. */
export async function migrate(orm: Orm): Promise<string[]> {
  const applied = await orm.getMigrator().up();
  return applied.map((m) => m.name);
}

/** Creates the database named in `databaseUrl` if it does not exist yet. */
export async function ensureDatabase(databaseUrl: string): Promise<boolean> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount) return false;
    await client.query(`create database "${name.replace(/"/g, '""')}"`);
    return true;
  } finally {
    await client.end();
  }
}
