import type { BenchEnv } from './env';

/**
 * Large data sets, generated inside PostgreSQL (INSERT ... SELECT
 * generate_series, rows sorted by primary key), then vacuumed and analyzed.
 */
export async function generateApiData(env: BenchEnv, runCount: number, logRuns: number, linesPerRun: number) {
  const client = await env.db.connect();
  try {
    await client.query(`set synchronous_commit = off`);
    const owner = (
      await client.query(`insert into users (email, name, role, password_hash) values ($1, 'Bench owner', 'user', 'not-a-hash') returning id`, [
        `owner-${Date.now()}@example.com`,
      ])
    ).rows[0].id as string;
    const jobIds = (
      await client.query(
        `insert into jobs (name, type, params, owner_id) select 'bench api job ' || g, 'sleep', '{"seconds": 0}', $1 from generate_series(1, 100) g returning id`,
        [owner],
      )
    ).rows.map((r: { id: string }) => r.id);
    const t0 = Date.now();
    for (let done = 0; done < runCount; done += 250_000) {
      await client.query(
        `insert into runs (job_id, status, params, attempt, max_attempts, queued_at, started_at, finished_at, result, error_code, error_message,
                           trigger_kind, trigger_user_id, log_count, version)
         select ($1::uuid[])[1 + g % 100], case when g % 20 = 0 then 'failed' else 'succeeded' end, '{"seconds": 0}', 1, 1,
                now() - g * interval '1 second', now() - g * interval '1 second' + interval '5 ms', now() - g * interval '1 second' + interval '30 ms',
                case when g % 20 = 0 then null else '{"sleptMs": 0}'::jsonb end,
                case when g % 20 = 0 then 'handler_error' end, case when g % 20 = 0 then 'bench failure' end,
                'manual', $2, 0, 3
         from generate_series($3::int, $4::int) g`,
        [jobIds, owner, done + 1, Math.min(runCount, done + 250_000)],
      );
    }
    const runsMs = Date.now() - t0;
    const logRunIds = (await client.query(`select id from runs where job_id = any($1::uuid[]) order by queued_at desc limit $2`, [jobIds, logRuns])).rows
      .map((r: { id: string }) => r.id)
      .sort();
    const t1 = Date.now();
    for (let i = 0; i < logRunIds.length; i += 100) {
      const chunk = logRunIds.slice(i, i + 100);
      await client.query(
        `insert into run_logs (run_id, seq, ts, stream, text)
         select r.id, s, now(), 'stdout', lpad(s::text, 8, '0') || ' ' || repeat('x', 71)
         from unnest($1::uuid[]) as r(id), generate_series(1, $2::int) s order by r.id, s`,
        [chunk, linesPerRun],
      );
      await client.query(`update runs set log_count = $2 where id = any($1::uuid[])`, [chunk, linesPerRun]);
    }
    const logsMs = Date.now() - t1;
    const t2 = Date.now();
    await client.query(`vacuum (analyze) runs`);
    await client.query(`vacuum (analyze) run_logs`);
    const vacuumMs = Date.now() - t2;
    const sample = (await client.query(`select id from runs where job_id = any($1::uuid[]) order by random() limit 10000`, [jobIds])).rows.map(
      (r: { id: string }) => r.id,
    );
    return { jobIds, logRunIds, sampleRunIds: sample, seconds: { runs: runsMs / 1000, logs: logsMs / 1000, vacuumAnalyze: vacuumMs / 1000 } };
  } finally {
    client.release();
  }
}

/** One final run with `lines` stored lines (seq 1..lines), for reading back. */
export async function generateLoggedRun(env: BenchEnv, jobId: string, lines: number): Promise<string> {
  const client = await env.db.connect();
  try {
    await client.query(`set synchronous_commit = off`);
    const id = (
      await client.query(
        `insert into runs (job_id, status, params, max_attempts, started_at, finished_at, trigger_kind, log_count, version)
         values ($1, 'succeeded', '{}', 1, now(), now(), 'api', $2, 3) returning id`,
        [jobId, lines],
      )
    ).rows[0].id as string;
    await client.query(
      `insert into run_logs (run_id, seq, ts, stream, text) select $1, s, now(), 'stdout', lpad(s::text, 8, '0') || ' ' || repeat('x', 71) from generate_series(1, $2::int) s`,
      [id, lines],
    );
    await client.query(`vacuum (analyze) run_logs`);
    return id;
  } finally {
    client.release();
  }
}

/** The inline document's size: close to the 1 MiB body limit, as a large real one would be. */
export const CSV_BYTES = 900_000;

/** A valid CSV of about `bytes` bytes: a header and numbered rows. */
export function csvOf(bytes: number): string {
  const rows = ['id,name,email,amount,date'];
  let size = rows[0]!.length + 1;
  for (let i = 1; size < bytes; i++) {
    const row = `${i},Customer ${String(i).padStart(6, '0')},customer${i}@example.com,${(i % 9973) / 100},2026-11-${String((i % 28) + 1).padStart(2, '0')}`;
    rows.push(row);
    size += row.length + 1;
  }
  return rows.join('\n') + '\n';
}

/** The params of a data-check job carrying a `CSV_BYTES` inline CSV with column rules: params as large as a job's get. */
export const largeDataCheckParams = () => ({
  content: csvOf(CSV_BYTES),
  format: 'csv',
  requiredColumns: ['id', 'email'],
  columns: { id: { type: 'integer', nonEmpty: true }, amount: { type: 'number', min: 0 }, date: { type: 'date' } },
  uniqueKeys: [['id']],
});

/**
 * A team's shared dashboard, through the normal schema: `jobCount` jobs owned
 * by `ownerId` (four types, two tags each; one in 20 with a yearly schedule,
 * so the upcoming due times fill without anything firing) and `runCount`
 * finished runs of them over the last 7 days (newest first, a run a minute
 * apart at 10,000 runs; one in 25 failed, one in 97 cancelled), then analyzed.
 */
export async function generateDashboardData(env: BenchEnv, ownerId: string, jobCount: number, runCount: number): Promise<{ jobIds: string[] }> {
  const client = await env.db.connect();
  try {
    await client.query(`set synchronous_commit = off`);
    const jobIds = (
      await client.query(
        `insert into jobs (name, description, type, params, owner_id, tags, schedule_cron, schedule_timezone, schedule_since, created_at, updated_at)
         select 'dashboard job ' || lpad(g::text, 4, '0'), 'A job of the seeded dashboard', t.type, t.params::jsonb, $1,
                array['team-' || (g % 7), (array['nightly', 'reports', 'sync', 'ops'])[1 + g % 4]],
                case when g % 20 = 0 then '0 3 1 1 *' end, case when g % 20 = 0 then 'UTC' end, case when g % 20 = 0 then now() end,
                now() - g * interval '1 minute', now() - g * interval '1 minute'
         from generate_series(1, $2::int) g
         join (values (0, 'sleep', '{"seconds": 1}'), (1, 'shell', '{"script": "echo done"}'),
                      (2, 'http', '{"url": "https://example.com/health", "method": "GET"}'),
                      (3, 'data-check', '{"content": "id,name\\n1,a\\n", "format": "csv"}')) t(k, type, params) on t.k = g % 4
         order by g
         returning id`,
        [ownerId, jobCount],
      )
    ).rows.map((r: { id: string }) => r.id);
    const span = `${(7 * 24 * 3600) / runCount} seconds`;
    await client.query(
      `insert into runs (job_id, status, params, attempt, max_attempts, queued_at, started_at, finished_at, result, error_code, error_message,
                         trigger_kind, trigger_user_id, log_count, version)
       select j.id, case when g % 25 = 0 then 'failed' when g % 97 = 0 then 'cancelled' else 'succeeded' end, j.params, 1, 1,
              now() - g * $3::interval, now() - g * $3::interval + interval '20 ms',
              now() - g * $3::interval + (20 + g % 5000) * interval '1 ms',
              case when g % 25 = 0 or g % 97 = 0 then null else '{"ok": true}'::jsonb end,
              case when g % 25 = 0 then 'handler_error' when g % 97 = 0 then 'cancelled' end,
              case when g % 25 = 0 then 'exit code 1' when g % 97 = 0 then 'Cancelled by a user' end,
              case when g % 10 = 0 then 'api' else 'manual' end, $2, 0, 3
       from generate_series(1, $4::int) g
       join jobs j on j.id = ($1::uuid[])[1 + g % array_length($1::uuid[], 1)]`,
      [jobIds, ownerId, span, runCount],
    );
    await client.query(`analyze jobs`);
    await client.query(`analyze runs`);
    return { jobIds };
  } finally {
    client.release();
  }
}
