import { MikroORM } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import pg from 'pg';
import { pgConnectionConfig, postgresTls } from '../platform';
import { DEFAULT_POOL_MAX, type DbOptions } from './connection';
import { entities } from './entities';
import { migrations } from './migrations';

export type Orm = MikroORM;

/** Opens the ORM on `databaseUrl` (the database must exist). */
export async function createOrm(o: DbOptions): Promise<Orm> {
  // MikroORM reads host, port, user, password and database from the URL and drops its parameters: TLS is handed to `pg` itself.
  const { connectionString, ssl } = pgConnectionConfig(o.databaseUrl, o.ssl);
  return MikroORM.init({
    clientUrl: connectionString,
    entities,
    extensions: [Migrator],
    discovery: { disableDynamicFileAccess: true, requireEntitiesArray: true },
    migrations: { migrationsList: migrations, transactional: true, allOrNothing: true, snapshot: false },
    pool: { min: 0, max: o.poolMax ?? DEFAULT_POOL_MAX },
    driverOptions: { connection: { ssl } },
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

/**
 * Creates the database named in `databaseUrl` if it does not exist yet. The
 * database itself is tried first, so the maintenance database `postgres` is
 * reached (with the same TLS) only when there is one to create: a pooler or a
 * managed service need not offer it.
 */
export async function ensureDatabase(o: Pick<DbOptions, 'databaseUrl' | 'ssl'>): Promise<boolean> {
  const ssl = o.ssl ?? postgresTls(o.databaseUrl);
  const target = pgConnectionConfig(o.databaseUrl, ssl);
  try {
    await withClient(target, async () => {});
    return false;
  } catch (e) {
    if ((e as { code?: unknown }).code !== '3D000') throw e;
  }
  const maintenance = new URL(target.connectionString);
  const name = decodeURIComponent(maintenance.pathname.slice(1));
  maintenance.pathname = '/postgres';
  return withClient({ connectionString: maintenance.toString(), ssl }, async (client) => {
    const found = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount) return false;
    await client.query(`create database "${name.replace(/"/g, '""')}"`);
    return true;
  });
}

async function withClient<T>(config: pg.ClientConfig, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(config);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}
