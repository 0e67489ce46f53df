import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealStoredSecrets, type Sql } from '@jobflow/core/db';
import { createKeyring } from '@jobflow/core/platform';
import { startStack, TEST_SECRETS_KEY, type Stack } from '../support/stack';

const LEGACY_TOKEN = 'legacy-plaintext-token-31337';
const LEGACY_HOOK_SECRET = 'legacy-hook-secret-0000aaaa';

let stack: Stack;
let client: pg.Client;
const sql: Sql = async <T>(query: string, params: readonly unknown[] = []) => {
  let n = 0;
  return (
    await client.query(
      query.replace(/\?/g, () => `$${++n}`),
      params as unknown[],
    )
  ).rows as T[];
};

beforeAll(async () => {
  stack = await startStack();
  client = new pg.Client({ connectionString: stack.databaseUrl });
  await client.connect();
});
afterAll(async () => {
  await client?.end();
  await stack?.stop();
});

const dump = async () =>
  (await sql<{ text: string }>(`select params::text || notifications::text as text from jobs union all select params::text from runs`))
    .map((r) => r.text)
    .join('\n');

describe('stored secrets', () => {
  it('stored before sealing existed are shown masked, then sealed once per key; a rotated key re-seals them all', async () => {
    // A job and a run as an earlier version stored them: secrets in plaintext.
    const [job] = await sql<{ id: string }>(
      `insert into jobs (name, description, type, params, max_attempts, schedule_overlap, schedule_missed, schedule_paused, notifications, owner_id)
       values ('legacy', '', 'shell', ?::jsonb, 1, 'allow', 'skip', false, ?::jsonb, ?) returning id`,
      [
        JSON.stringify({ script: 'echo "$TOKEN"', env: { TOKEN: LEGACY_TOKEN } }),
        JSON.stringify([{ id: 'abc123', kind: 'webhook', on: ['failed'], url: 'https://hooks.example.test/x', secret: LEGACY_HOOK_SECRET }]),
        stack.admin.id,
      ],
    );
    await sql(`insert into runs (job_id, status, params, max_attempts, trigger_kind) select id, 'succeeded', params, 1, 'manual' from jobs where id = ?`, [
      job!.id,
    ]);

    const shown = await stack.request('GET', `/api/jobs/${job!.id}`, { token: stack.admin.token });
    expect(shown.body.params.env).toEqual({ TOKEN: '****1337' });
    expect(shown.body.notifications[0].secret).toBe('****aaaa');
    expect(JSON.stringify((await stack.request('GET', `/api/runs?jobId=${job!.id}`, { token: stack.admin.token })).body)).not.toContain(LEGACY_TOKEN);

    const keyring = createKeyring({ key: TEST_SECRETS_KEY });
    expect(await sealStoredSecrets(sql, keyring)).toEqual({ jobs: 1, runs: 1 });
    const sealed = await dump();
    expect(sealed).not.toContain(LEGACY_TOKEN);
    expect(sealed).not.toContain(LEGACY_HOOK_SECRET);
    expect(await sealStoredSecrets(sql, keyring)).toEqual({ jobs: 0, runs: 0 });
    // Shown as before, and the worker still opens it.
    expect((await stack.request('GET', `/api/jobs/${job!.id}`, { token: stack.admin.token })).body.params.env).toEqual({ TOKEN: '****1337' });
    const run = await stack.request('POST', `/api/jobs/${job!.id}/runs`, { token: stack.admin.token, body: {} });
    for (let r = run.body; ; await new Promise((resolve) => setTimeout(resolve, 50))) {
      r = (await stack.request('GET', `/api/runs/${run.body.id}`, { token: stack.admin.token })).body;
      if (r.status === 'succeeded' || r.status === 'failed') {
        expect(r.status).toBe('succeeded');
        break;
      }
    }
    const lines = (await stack.request('GET', `/api/runs/${run.body.id}/logs`, { token: stack.admin.token })).body.items.map((l: { text: string }) => l.text);
    expect(lines).toEqual(['****']);

    // Rotation: a new key, the old one kept as previous; afterwards the new key alone opens everything.
    const newKey = randomBytes(32).toString('hex');
    const rotated = createKeyring({ key: newKey, previousKeys: [TEST_SECRETS_KEY] });
    expect(await sealStoredSecrets(sql, rotated)).toEqual({ jobs: 1, runs: 2 });
    const onlyNew = createKeyring({ key: newKey });
    const [stored] = await sql<{ params: { env: { TOKEN: string } }; notifications: { secret: string }[] }>(
      `select params, notifications from jobs where id = ?`,
      [job!.id],
    );
    expect(stored!.params.env.TOKEN).toMatch(new RegExp(`^jfenc:1:${onlyNew.currentKeyId}:`));
    expect(onlyNew.open(stored!.params.env.TOKEN)).toBe(LEGACY_TOKEN);
    expect(onlyNew.open(stored!.notifications[0]!.secret)).toBe(LEGACY_HOOK_SECRET);
    for (const { params } of await sql<{ params: { env: { TOKEN: string } } }>(`select params from runs where job_id = ?`, [job!.id])) {
      expect(onlyNew.open(params.env.TOKEN)).toBe(LEGACY_TOKEN);
    }
    expect(() => keyring.open(stored!.params.env.TOKEN)).toThrow(/not configured/);
  });
});
