/**
 * Finding a rare term in 10,000,000 stored lines: the statement behind
 * `GET /api/logs/search` with the trigram index, beside the same statement
 * with the index out of the planner's reach (`enable_bitmapscan = off`: a
 * trigram GIN index is only read through bitmap scans), p95 of each. Not part
 * of `npm run bench` (seeding takes minutes). Usage:
 *   npx tsx bench/search.ts [--lines 10000000] [--repeats 30] [--repeats-without 5]
 */
import pg from 'pg';
import type { Sql } from '@jobflow/core/db';
import { searchLines } from '@jobflow/core/runs';
import { createBenchDatabase } from './lib/env';
import { fmt, percentile } from './lib/stats';

function option(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}
const LINES = option('lines', 10_000_000);
const REPEATS = option('repeats', 30);
const REPEATS_WITHOUT = option('repeats-without', 5);
const LINES_PER_RUN = 1000;
const CHUNK_RUNS = 1000;
const RARE = 'Kraken-Overflow';
const RARE_HITS = 5;

const started = Date.now();
const log = (line: string) => process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}\n`);

async function timed(sql: Sql, count: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    const hits = await searchLines(sql, { q: RARE.toLowerCase() }, 51, null);
    times.push(performance.now() - t0);
    if (hits.length !== RARE_HITS) throw new Error(`found ${hits.length} lines, not ${RARE_HITS}`);
  }
  return times;
}

async function main() {
  const database = await createBenchDatabase();
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  const sql: Sql = async (statement, params) => (await client.query({ text: statement.text, values: [...params] })).rows;
  try {
    const owner = (await client.query(`insert into users (email, role, password_hash) values ('bench@example.com', 'admin', 'x') returning id`)).rows[0].id;
    const job = (await client.query(`insert into jobs (name, type, params, owner_id) values ('nightly', 'sleep', '{}', $1) returning id`, [owner])).rows[0].id;
    log(`seeding ${LINES.toLocaleString('en')} lines (${LINES / LINES_PER_RUN} runs), the trigram index dropped meanwhile`);
    await client.query('drop index run_logs_text_trgm_idx');
    await client.query('set synchronous_commit = off');
    for (let done = 0; done < LINES / LINES_PER_RUN; done += CHUNK_RUNS) {
      await client.query(
        `with r as (insert into runs (job_id, status, params, max_attempts, started_at, finished_at, trigger_kind, log_count)
                    select $1, 'succeeded', '{}', 1, now(), now(), 'manual', $2 from generate_series(1, $3::int) returning id)
         insert into run_logs (run_id, seq, ts, stream, text)
         select r.id, s, now() - (1000 - s) * interval '1 second', 'stdout',
                'INFO worker-' || (s % 97) || ' processed batch ' || s || ' for customer ' || substr(md5((s % 5000)::text), 1, 12) || ' in ' || (s % 1000) || ' ms'
         from r, generate_series(1, $2::int) s`,
        [job, LINES_PER_RUN, Math.min(CHUNK_RUNS, LINES / LINES_PER_RUN - done)],
      );
      log(`  ${((done + CHUNK_RUNS) * LINES_PER_RUN).toLocaleString('en')} lines`);
    }
    await client.query(
      `with r as (insert into runs (job_id, status, params, max_attempts, started_at, finished_at, trigger_kind, log_count)
                  values ($1, 'failed', '{}', 1, now(), now(), 'manual', $2) returning id)
       insert into run_logs (run_id, seq, ts, stream, text) select r.id, s, now(), 'stderr', 'ERROR ' || $3 || ' in shard ' || s from r, generate_series(1, $2::int) s`,
      [job, RARE_HITS, RARE],
    );
    log('building the trigram index');
    const t0 = performance.now();
    await client.query(`set maintenance_work_mem = '512MB'`);
    await client.query('create index run_logs_text_trgm_idx on run_logs using gin (text gin_trgm_ops)');
    const buildSec = (performance.now() - t0) / 1000;
    await client.query('vacuum (analyze) run_logs');
    await client.query('vacuum (analyze) runs');
    const size = (
      await client.query(
        `select pg_size_pretty(sum(pg_relation_size(indexrelid))) as s from pg_index where indexrelid::regclass::text like 'run_logs_w%text_idx'`,
      )
    ).rows[0].s;

    log(`with the index: ${REPEATS} searches`);
    await timed(sql, 3);
    const withIndex = await timed(sql, REPEATS);
    log(`without the index: ${REPEATS_WITHOUT} searches`);
    await client.query('set enable_bitmapscan = off');
    const withoutIndex = await timed(sql, REPEATS_WITHOUT);
    await client.query('reset enable_bitmapscan');
    const p95 = (v: number[]) => percentile(v, 95);
    console.log(
      [
        `| ${LINES.toLocaleString('en')} lines, "${RARE.toLowerCase()}" (${RARE_HITS} hits) | p50 | p95 | repeats |`,
        '| --- | --- | --- | --- |',
        `| trigram index | ${fmt(percentile(withIndex, 50))} ms | ${fmt(p95(withIndex))} ms | ${REPEATS} |`,
        `| same statement, no index | ${fmt(percentile(withoutIndex, 50))} ms | ${fmt(p95(withoutIndex))} ms | ${REPEATS_WITHOUT} |`,
        '',
        `index build ${fmt(buildSec)} s, index size ${size}; p95 ratio ${fmt(p95(withoutIndex) / p95(withIndex))}×`,
      ].join('\n'),
    );
  } finally {
    await client.end();
    await database.drop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
