import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createOrm, migrate } from '@jobflow/core/db';
import { adminQuery, databaseUrl } from './db';

/**
 * Builds the `jobflow` bundle the CLI tests run, when its sources changed since
 * it was last built, and the migrated template database every test file clones. Its name is
 * unique per test run, so concurrent runs (two checkouts, CI beside a
 * developer) never share one.
 */
export default async function setup(): Promise<() => Promise<void>> {
  execFileSync(process.execPath, ['scripts/build-packages.mjs', 'cli', '--if-stale'], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    stdio: 'inherit',
  });
  const template = `jobflow_test_tpl_${randomBytes(4).toString('hex')}`;
  process.env.JOBFLOW_TEST_TEMPLATE_DB = template;
  await adminQuery(`create database ${template}`);
  const orm = await createOrm({ databaseUrl: databaseUrl(template), poolMax: 1 });
  try {
    await migrate(orm);
  } finally {
    await orm.close(true);
  }
  return () => adminQuery(`drop database if exists ${template} with (force)`);
}
