import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createOrm, type Orm } from '@jobflow/core/db';
import { adminQuery, databaseUrl } from '../support/db';

// A database of its own, migrated step by step (not cloned from the migrated template).
const name = `jobflow_test_mig_${Math.random().toString(16).slice(2, 10)}`;
let orm: Orm;

beforeAll(async () => {
  await adminQuery(`create database ${name}`);
  orm = await createOrm({ databaseUrl: databaseUrl(name), poolMax: 1 });
});
afterAll(async () => {
  await orm?.close(true);
  await adminQuery(`drop database if exists ${name} with (force)`);
});

describe('the migration to one email spelling', () => {
  it('normalises existing rows (NFKC, lower case), keeps both accounts when two collide, and then refuses duplicates', async () => {
    await orm.getMigrator().up({ to: 'Migration20261128110000' });
    const client = new pg.Client({ connectionString: databaseUrl(name) });
    await client.connect();
    try {
      const insert = (email: string, at: string) =>
        client.query(`insert into users (email, name, role, password_hash, created_at) values ($1, '', 'user', 'x', $2) returning id`, [email, at]);
      const mixed = (await insert('Mixed.Case@Example.COM', '2026-01-01T00:00:00Z')).rows[0].id;
      const wide = (await insert('ｗｉｄｅ@example.com', '2026-01-02T00:00:00Z')).rows[0].id;
      const plain = (await insert('wide@example.com', '2026-01-03T00:00:00Z')).rows[0].id;

      await orm.getMigrator().up();
      const rows = (await client.query(`select id, email from users`)).rows as { id: string; email: string }[];
      const byId = new Map(rows.map((r) => [r.id, r.email]));
      expect(byId.get(mixed)).toBe('mixed.case@example.com');
      // The full-width spelling normalises to an address another account already has: both accounts stay.
      expect(byId.get(plain)).toBe('wide@example.com');
      expect(byId.get(wide)).toBe('ｗｉｄｅ@example.com');
      await expect(client.query(`insert into users (email, name, role, password_hash) values ('mixed.case@example.com', '', 'user', 'x')`)).rejects.toThrow(
        /users_email_key/,
      );
      const generation = (await client.query(`select session_generation from users where id = $1`, [mixed])).rows[0].session_generation;
      expect(generation).toBe(0);
    } finally {
      await client.end();
    }
  });
});
