/** Creates the database if it is missing and applies every pending migration. */
import { createOrm, ensureDatabase, migrate } from '@jobflow/core/db';
import { BaseEnv, parseEnv, preflight } from '@jobflow/core/platform';

const env = parseEnv(BaseEnv, process.env);
await preflight({ databaseUrl: env.DATABASE_URL, redisUrl: env.REDIS_URL });
if (await ensureDatabase(env.DATABASE_URL)) console.log(`Created database ${new URL(env.DATABASE_URL).pathname.slice(1)}.`);
const orm = await createOrm({ databaseUrl: env.DATABASE_URL, poolMax: 1 });
try {
  const applied = await migrate(orm);
  console.log(applied.length ? `Applied migrations: ${applied.join(', ')}.` : 'The database schema is up to date.');
} finally {
  await orm.close(true);
}
