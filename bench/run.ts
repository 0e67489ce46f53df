/**
 * The benchmark suite: each benchmark runs Jobflow and its peers interleaved
 * (warm-up, then repeats, A B A B or A B C D E ...), verifies delivery, and
 * reports median, min–max and the per-repeat ratio. Usage:
 *   npm run bench [-- --quick] [-- --only runs,ingest] [-- --repeats 5] [-- --out file.json]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createBenchDatabase, stopShared, type BenchEnv } from './lib/env';
import { installPgCounter, readPgCounts, diffPgCounts } from './lib/pg-count';
import { stoppedHostsPg } from './lib/proc';
import { removeKeys } from './lib/redis-keys';
import { createProbe } from './lib/probe';
import { machine, processTable, table } from './lib/report';
import type { CaseResult } from './lib/runner';
import { apiBench } from './api.bench';
import { cliBench } from './cli.bench';
import { fanoutBench } from './fanout.bench';
import { ingestBench } from './ingest.bench';
import { latencyBench } from './latency.bench';
import { payloadsBench } from './payloads.bench';
import { resyncBench } from './resync.bench';
import { runsBench } from './runs.bench';
import { socketsBench } from './sockets.bench';
import { uiBench } from './ui.bench';

installPgCounter();

const BENCHES: Record<string, (env: BenchEnv) => Promise<CaseResult[]>> = {
  runs: runsBench,
  latency: latencyBench,
  ingest: ingestBench,
  fanout: fanoutBench,
  payloads: payloadsBench,
  sockets: socketsBench,
  api: apiBench,
  resync: resyncBench,
  cli: cliBench,
  ui: uiBench,
};

function parseArgs(argv: string[]) {
  const opts = { isQuick: false, only: Object.keys(BENCHES), out: '', repeats: 0 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--quick') opts.isQuick = true;
    else if (a === '--only') opts.only = argv[++i]!.split(',');
    else if (a.startsWith('--only=')) opts.only = a.slice(7).split(',');
    else if (a === '--repeats') opts.repeats = Number(argv[++i]);
    else if (a.startsWith('--repeats=')) opts.repeats = Number(a.slice(10));
    else if (a === '--out') opts.out = argv[++i]!;
    else if (a.startsWith('--out=')) opts.out = a.slice(6);
    else throw new Error(`unknown argument ${a} (use --quick, --only a,b, --repeats n, --out file.json)`);
  }
  for (const id of opts.only) if (!BENCHES[id]) throw new Error(`unknown benchmark ${id}; known: ${Object.keys(BENCHES).join(', ')}`);
  return opts;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const started = new Date();
  const log = (line: string) => process.stderr.write(`[${((Date.now() - started.getTime()) / 1000).toFixed(1).padStart(6)} s] ${line}\n`);
  log(`jobflow bench (${opts.isQuick ? 'quick' : 'full'}): ${opts.only.join(', ')}`);
  if (opts.isQuick) log('quick mode: small workloads, a warm-up and 1 measured repeat per benchmark: a smoke run of the harness, figures indicative only');
  const database = await createBenchDatabase();
  log(`bench database ${database.name}`);
  const runTag = randomBytes(3).toString('hex');
  let prefixes = 0;
  const env: BenchEnv = {
    isQuick: opts.isQuick,
    repeats: opts.repeats >= 1 ? Math.floor(opts.repeats) : opts.isQuick ? 1 : 5,
    dbName: database.name,
    databaseUrl: database.url,
    redisUrl: process.env.BENCH_REDIS_URL ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    db: new pg.Pool({ connectionString: database.url, max: 4 }),
    log,
    newPrefix: (tag) => `jfbench${runTag}${tag}${++prefixes}`,
    driver: createProbe(),
    shared: opts.isQuick ? new Map() : null,
  };
  // A stray rejection in a load generator is a failed figure, not a reason to lose the whole run.
  let strayErrors = 0;
  process.on('unhandledRejection', (e) => {
    strayErrors++;
    log(`unhandled rejection: ${(e as Error)?.stack ?? e}`);
  });
  const results: CaseResult[] = [];
  let pgCheck: { xactCommitDelta: number; commitsCountedByClients: number } | null = null;
  let isFailed = false;
  try {
    const xact0 = await xactCommitFresh(database.url, database.name);
    const driver0 = readPgCounts();
    const hosts0 = { ...stoppedHostsPg };
    for (const id of opts.only) {
      log(`== ${id}`);
      try {
        results.push(...(await BENCHES[id]!(env)));
      } catch (e) {
        isFailed = true;
        log(`${id} failed: ${(e as Error).stack ?? e}`);
      }
    }
    await stopShared(env);
    // Every process has closed its connections, which flushes their statistics: the delta below is complete.
    await env.db.end();
    const counted = diffPgCounts(driver0, readPgCounts()).commits + diffPgCounts(hosts0, stoppedHostsPg).commits;
    pgCheck = { xactCommitDelta: (await xactCommitFresh(database.url, database.name)) - xact0 - 1, commitsCountedByClients: counted };
  } finally {
    await stopShared(env).catch(() => {});
    await env.db.end().catch(() => {});
    await database.drop().catch((e) => log(`could not drop ${database.name}: ${e}`));
    // Every Redis key of this run starts with its tag: whatever a stack or peer left is removed.
    const left = await removeKeys(env.redisUrl, `jfbench${runTag}*`).catch((e) => (log(`could not remove Redis keys: ${e}`), -1));
    if (left) isFailed = true;
    if (left > 0) log(`${left} Redis keys of this run could not be removed`);
  }
  const failedCases = results.filter((r) => !r.isVerified);
  if (failedCases.length || strayErrors) isFailed = true;

  const report = {
    mode: opts.isQuick ? 'quick' : 'full',
    startedAt: started.toISOString(),
    seconds: Math.round((Date.now() - started.getTime()) / 1000),
    machine: machine(),
    isVerified: !isFailed,
    results,
    pgStatCrossCheck: pgCheck,
  };
  const out = opts.out || fileURLToPath(new URL(`./results/bench-${report.mode}-${started.toISOString().replace(/[:.]/g, '-')}.json`, import.meta.url));
  mkdirSync(fileURLToPath(new URL('./results/', import.meta.url)), { recursive: true });
  writeFileSync(out, JSON.stringify(report, null, 2));

  const m = report.machine;
  process.stdout.write(
    `\nJobflow bench, ${report.mode} mode, ${report.seconds} s: ${m.cpu}, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}, PostgreSQL ${m.postgres}, Redis ${m.redis}, load average at the end ${m.loadAverage.join(' ')}\n\n`,
  );
  process.stdout.write(table(results) + '\n\n');
  for (const r of results) {
    process.stdout.write(`${r.id}: ${r.workload}; peer: ${r.peer}; ${r.warmup ? 'warm-up + ' : 'no warm-up, '}${r.repeats} repeats, ${r.seconds} s\n`);
    for (const p of r.problems.slice(0, 20)) process.stdout.write(`  LOSS/ERROR: ${p}\n`);
    for (const p of r.peerFailures.slice(0, 20)) process.stdout.write(`  peer failed (its figures left out): ${p}\n`);
  }
  process.stdout.write(
    `\n${processTable(results)}\n\nPostgreSQL xact_commit of the bench database over the whole run vs commits counted by the processes: ${JSON.stringify(pgCheck)}\n`,
  );
  process.stdout.write(`\nJSON: ${out}\n${isFailed ? 'FAILED: a delivery check or a benchmark failed (see above)\n' : 'All deliveries verified: no loss.\n'}`);
  process.exitCode = isFailed ? 1 : 0;
}

async function xactCommitFresh(url: string, name: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(`select xact_commit::bigint as n from pg_stat_database where datname = $1`, [name]);
    return Number(rows[0].n);
  } finally {
    await client.end();
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exitCode = 1;
});
