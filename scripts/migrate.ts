/** Creates the database if it is missing and applies every pending migration. */
import { createOrm, dbOf, ensureDatabase, migrate, sealStoredSecrets } from '@jobflow/core/db';
import { BaseEnv, SecretsEnv, createKeyring, parseEnv, preflight, secretsConfig } from '@jobflow/core/platform';

const env = parseEnv(BaseEnv.extend(SecretsEnv.partial().shape), process.env);
await preflight({ databaseUrl: env.DATABASE_URL, redisUrl: env.REDIS_URL });
if (await ensureDatabase(env.DATABASE_URL)) console.log(`Created database ${new URL(env.DATABASE_URL).pathname.slice(1)}.`);
const orm = await createOrm({ databaseUrl: env.DATABASE_URL, poolMax: 1 });
try {
  const applied = await migrate(orm);
  console.log(applied.length ? `Applied migrations: ${applied.join(', ')}.` : 'The database schema is up to date.');
  // Secrets stored before sealing, or sealed with a key since rotated, are sealed with SECRETS_KEY.
  if (env.SECRETS_KEY) {
    const keyring = createKeyring(secretsConfig({ SECRETS_KEY: env.SECRETS_KEY, SECRETS_KEY_PREVIOUS: env.SECRETS_KEY_PREVIOUS }));
    const sealed = await sealStoredSecrets(dbOf(orm).sql, keyring);
    if (sealed.jobs || sealed.runs) console.log(`Sealed stored secrets with key ${keyring.currentKeyId}: ${sealed.jobs} jobs, ${sealed.runs} runs.`);
  } else {
    console.log('SECRETS_KEY is not set: stored secrets were not checked (set it, as the server and workers have it, and migrate again).');
  }
} finally {
  await orm.close(true);
}
