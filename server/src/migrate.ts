/**
 * Creates the database if it is missing, applies every pending migration and
 * seals stored secrets with SECRETS_KEY, through MIGRATE_DATABASE_URL when set
 * (a direct connection, where the processes go through a pooler), else
 * DATABASE_URL.
 */
import { createDb, createOrm, ensureDatabase, migrate, sealStoredSecrets } from '@jobflow/core/db';
import { BaseEnv, DatabaseUrlEnv, SecretsEnv, createKeyring, parseEnv, pingPostgres, postgresTls, secretsConfig } from '@jobflow/core/platform';

const env = parseEnv(BaseEnv.extend({ ...SecretsEnv.partial().shape, MIGRATE_DATABASE_URL: DatabaseUrlEnv.optional() }), process.env);
const databaseUrl = env.MIGRATE_DATABASE_URL || env.DATABASE_URL;
const connection = { databaseUrl, ssl: postgresTls(databaseUrl) };
await pingPostgres(databaseUrl, connection.ssl).catch((e: Error) => {
  console.error(e.message);
  process.exit(1);
});
if (await ensureDatabase(connection)) console.log(`Created database ${new URL(databaseUrl).pathname.slice(1)}.`);
const orm = await createOrm({ ...connection, poolMax: 1 });
try {
  const applied = await migrate(orm);
  console.log(applied.length ? `Applied migrations: ${applied.join(', ')}.` : 'The database schema is up to date.');
  // Secrets stored before sealing, or sealed with a key since rotated, are sealed with SECRETS_KEY.
  if (env.SECRETS_KEY) {
    const keyring = createKeyring(secretsConfig({ SECRETS_KEY: env.SECRETS_KEY, SECRETS_KEY_PREVIOUS: env.SECRETS_KEY_PREVIOUS }));
    const db = createDb({ ...connection, poolMax: 1, usePreparedStatements: env.DB_PREPARED_STATEMENTS });
    const sealed = await sealStoredSecrets(db.sql, keyring).finally(() => db.close());
    if (sealed.jobs || sealed.runs) console.log(`Sealed stored secrets with key ${keyring.currentKeyId}: ${sealed.jobs} jobs, ${sealed.runs} runs.`);
  } else {
    console.log('SECRETS_KEY is not set: stored secrets were not checked (set it, as the server and workers have it, and migrate again).');
  }
} finally {
  await orm.close(true);
}
