import { randomBytes } from 'node:crypto';
import pg from 'pg';

const ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export const databaseUrl = (name: string) => {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
};

export async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A fresh database cloned from the migrated template; drop it when done. */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const template = process.env.JOBFLOW_TEST_TEMPLATE_DB;
  if (!template) throw new Error('JOBFLOW_TEST_TEMPLATE_DB is not set: run the tests through vitest (tests/support/global-setup.ts).');
  const name = `jobflow_test_${randomBytes(5).toString('hex')}`;
  await adminQuery(`create database ${name} template ${template}`);
  return {
    url: databaseUrl(name),
    drop: () => adminQuery(`drop database if exists ${name} with (force)`),
  };
}

export const uniquePrefix = () => `jft${randomBytes(4).toString('hex')}`;
