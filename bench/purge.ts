/**
 * What a retention purge costs everyone else: the API's p99 and the rate of
 * line ingest while 1,000,000 stored lines are purged, beside the same load
 * without a purge (each repeat: without, with, without again; the purge
 * window is set beside the mean of the two around it), reported as ratios. Not part of `npm run bench` (it seeds a million lines per
 * repeat). Usage:
 *   npx tsx bench/purge.ts [--lines 1000000] [--repeats 2] [--window-sec 15]
 *
 * - API: a Jobflow server process answers GET /api/runs and GET
 *   /api/runs/:id/logs at a fixed 40 requests/s; latency is what the load
 *   generator sees.
 * - Ingest: 4 appenders store 100-line batches through the run engine (the
 *   grouped writes a worker uses) into running runs, as fast as they are stored.
 * - Purge: the retention sweep as workers run it (default batch sizes and
 *   pauses), over runs whose lines are in the current week's partition, so
 *   every line is deleted row by row (the worst case: a past week would be
 *   dropped whole instead).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openCore } from '@jobflow/core';
import { createLease } from '@jobflow/core/db';
import { createLogger, redisConnection } from '@jobflow/core/platform';
import { createRetentionSweeper, DEFAULT_RETENTION_OPTIONS } from '@jobflow/core/runs';
import { createBenchDatabase, startJobflow, type BenchEnv } from './lib/env';
import { createProbe } from './lib/probe';
import { removeKeys } from './lib/redis-keys';
import { fmt, percentile } from './lib/stats';

function option(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}
const LINES = option('lines', 1_000_000);
const REPEATS = option('repeats', 2);
const WINDOW_MS = option('window-sec', 15) * 1000;
const LINES_PER_RUN = 1000;
const API_RATE_PER_SEC = 40;
const APPENDERS = 4;
const BATCH_LINES = 100;

const started = Date.now();
const log = (line: string) => process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}\n`);

async function main() {
  const database = await createBenchDatabase();
  const runTag = randomBytes(3).toString('hex');
  const env: BenchEnv = {
    isQuick: false,
    repeats: REPEATS,
    dbName: database.name,
    databaseUrl: database.url,
    redisUrl: process.env.BENCH_REDIS_URL ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    db: new pg.Pool({ connectionString: database.url, max: 4 }),
    log,
    newPrefix: (tag) => `jfbench${runTag}${tag}`,
    driver: createProbe(),
    shared: null,
  };
  const stack = await startJobflow(env, { workers: 0, connections: 16 });
  const core = await openCore({
    databaseUrl: database.url,
    dbPoolMax: 8,
    redisConnection: redisConnection(env.redisUrl),
    redisPrefix: `${stack.prefix}driver`,
    backoff: { baseMs: 1000, capMs: 1000 },
    cancelGraceMs: 5000,
    reconcile: { intervalMs: 60_000, queuedGraceMs: 60_000 },
    sweepLeaseMs: 15_000,
    log: createLogger('bench-purge', 'error'),
  });
  try {
    const purgedJob = await stack.createJob({ name: 'purged', type: 'sleep', params: { seconds: 1 } });
    const liveJob = await stack.createJob({ name: 'live', type: 'sleep', params: { seconds: 1 } });
    await env.db.query(`update jobs set keep_days = 1 where id = $1`, [purgedJob]);
    const live = (
      await env.db.query<{ id: string }>(
        `insert into runs (job_id, status, params, max_attempts, started_at, trigger_kind)
         select $1, 'running', '{}', 1, now(), 'manual' from generate_series(1, $2::int) returning id`,
        [liveJob, APPENDERS],
      )
    ).rows.map((r) => r.id);

    /** Ingest and API load for the duration of `during`; what each achieved. */
    async function load(during: () => Promise<void>) {
      let isDone = false;
      let lines = 0;
      const latencies: number[] = [];
      let errors = 0;
      const appenders = live.map(async (runId) => {
        while (!isDone) {
          const batch = Array.from({ length: BATCH_LINES }, (_, i) => ({
            ts: new Date().toISOString(),
            stream: 'stdout' as const,
            text: `ingested line ${i} ${'x'.repeat(60)}`,
          }));
          if (!(await core.runs.appendLines({ runId, attempt: 1, lines: batch }))) throw new Error('an append was refused');
          lines += BATCH_LINES;
        }
      });
      const requests: Promise<void>[] = [];
      const paths = ['/api/runs?limit=20', `/api/runs/${live[0]}/logs?limit=100`];
      const timer = setInterval(() => {
        const t0 = performance.now();
        requests.push(
          stack.http.request('GET', paths[requests.length % 2]!, { token: stack.token }).then(
            (res) => {
              if (res.status !== 200) errors++;
              latencies.push(performance.now() - t0);
            },
            () => void errors++,
          ),
        );
      }, 1000 / API_RATE_PER_SEC);
      const t0 = performance.now();
      await during();
      const seconds = (performance.now() - t0) / 1000;
      isDone = true;
      clearInterval(timer);
      await Promise.all([...appenders, ...requests]);
      return { seconds, linesPerSec: lines / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), requests: latencies.length, errors };
    }

    const rows: string[][] = [];
    for (let repeat = 1; repeat <= REPEATS; repeat++) {
      log(`repeat ${repeat}: seeding ${LINES.toLocaleString('en')} lines in ${LINES / LINES_PER_RUN} finished runs`);
      const ids = (
        await env.db.query<{ id: string }>(
          `insert into runs (job_id, status, params, max_attempts, queued_at, started_at, finished_at, trigger_kind, log_count)
           select $1, 'succeeded', '{}', 1, now() - interval '5 days', now() - interval '5 days', now() - interval '5 days', 'manual', $2
           from generate_series(1, $3::int) returning id`,
          [purgedJob, LINES_PER_RUN, LINES / LINES_PER_RUN],
        )
      ).rows.map((r) => r.id);
      await env.db.query(
        `insert into run_logs (run_id, seq, ts, stream, text)
         select r, s, now(), 'stdout', 'old line ' || s || ' ' || repeat('y', 60) from unnest($1::uuid[]) r, generate_series(1, $2::int) s`,
        [ids, LINES_PER_RUN],
      );
      // Settled before measuring: what the seeding left to vacuum and to write out would otherwise land in a window.
      await env.db.query('vacuum (analyze) runs');
      await env.db.query('vacuum (analyze) run_logs');
      await env.db.query('checkpoint');
      log('without a purge');
      const without = await load(() => new Promise((r) => setTimeout(r, WINDOW_MS)));
      log('with a purge');
      const sweeper = createRetentionSweeper({
        db: core.db,
        lease: createLease(core.db, 'bench-retention', runTag, 600_000),
        log: createLogger('bench-purge', 'error'),
        options: DEFAULT_RETENTION_OPTIONS,
      });
      let purged = { runs: 0, lines: 0 };
      const withPurge = await load(async () => {
        purged = await sweeper.sweep();
      });
      await sweeper.stop();
      log('without a purge, after it');
      const after = await load(() => new Promise((r) => setTimeout(r, WINDOW_MS)));
      const base = { linesPerSec: (without.linesPerSec + after.linesPerSec) / 2, p99: (without.p99 + after.p99) / 2, p50: (without.p50 + after.p50) / 2 };
      if (purged.lines !== LINES) throw new Error(`the purge deleted ${purged.lines} lines, not ${LINES}`);
      rows.push([
        String(repeat),
        `${fmt(base.linesPerSec)} → ${fmt(withPurge.linesPerSec)} (${(withPurge.linesPerSec / base.linesPerSec).toFixed(2)})`,
        `${fmt(base.p99)} → ${fmt(withPurge.p99)} ms (${(withPurge.p99 / base.p99).toFixed(2)})`,
        `${fmt(base.p50)} → ${fmt(withPurge.p50)} ms`,
        `${fmt(withPurge.seconds)} s (${fmt(purged.lines / withPurge.seconds)} lines/s)`,
        String(without.errors + withPurge.errors + after.errors),
      ]);
      log(`repeat ${repeat}: ${rows[rows.length - 1]!.join(' | ')}`);
    }
    const header = ['repeat', 'ingest lines/s without → with (ratio)', 'API p99 without → with (ratio)', 'API p50', 'purge of 1M lines', 'errors'];
    console.log([header, header.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n'));
  } finally {
    await core.close();
    await stack.stop();
    await env.db.end();
    await database.drop();
    await removeKeys(env.redisUrl, `jfbench${runTag}*`).catch(() => 0);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
