/**
 * Creates the database if it is missing and applies every pending migration,
 * through MIGRATE_DATABASE_URL when set (a direct connection, where the
 * processes go through a pooler), else DATABASE_URL.
 */
import { z } from 'zod';
import { createOrm, ensureDatabase, migrate } from '@jobflow/core/db';
import { BaseEnv, parseEnv, pingPostgres, postgresHint } from '@jobflow/core/platform';

const env = parseEnv(BaseEnv.extend({ MIGRATE_DATABASE_URL: z.string().optional() }), process.env);
const databaseUrl = env.MIGRATE_DATABASE_URL || env.DATABASE_URL;
await pingPostgres(databaseUrl).catch(() => {
  console.error(postgresHint(databaseUrl));
  process.exit(1);
});
if (await ensureDatabase(databaseUrl)) console.log(`Created database ${new URL(databaseUrl).pathname.slice(1)}.`);
const orm = await createOrm({ databaseUrl, poolMax: 1 });
try {
  const applied = await migrate(orm);
  console.log(applied.length ? `Applied migrations: ${applied.join(', ')}.` : 'The database schema is up to date.');
} finally {
  await orm.close(true);
}
