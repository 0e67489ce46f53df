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
