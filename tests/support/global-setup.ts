import { randomBytes } from 'node:crypto';
import { createOrm, migrate } from '@jobflow/core/db';
import { adminQuery, databaseUrl } from './db';

/**
 * Builds the migrated template database every test file clones. Its name is
 * unique per test run, so concurrent runs (two checkouts, CI beside a
 * developer) never share one.
 */
export default async function setup(): Promise<() => Promise<void>> {
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
