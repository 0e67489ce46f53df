import { createOrm, migrate } from '@jobflow/shared/node';
import { TEMPLATE_DB, adminQuery, databaseUrl } from './db';

/** Builds the migrated template database every test file clones. */
export default async function setup(): Promise<void> {
  await adminQuery(`drop database if exists ${TEMPLATE_DB} with (force)`);
  await adminQuery(`create database ${TEMPLATE_DB}`);
  const orm = await createOrm({ databaseUrl: databaseUrl(TEMPLATE_DB), poolMax: 1 });
  try {
    await migrate(orm);
  } finally {
    await orm.close(true);
  }
}
