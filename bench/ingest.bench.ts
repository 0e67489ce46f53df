import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { measured, sleep, jobflowFor, rawHost, type BenchEnv, type JobflowStack } from './lib/env';
import { wallMs } from './lib/probe';
import { field } from './lib/http';
import { cpuMs } from './runs.bench';
import { runCase, type CaseResult, type SideSample } from './lib/runner';
import { SeqCheck, connect, connected, subscribe, until } from './lib/sockets';

export const EMIT_LINES = fileURLToPath(new URL('./lib/emit-lines.mjs', import.meta.url));
const ROWS_PER_STATEMENT = 300;

/** A shell run's script: wait for the go-file, then print `count` numbered lines at `rate`/s (0: at once). */
export const emitScript = (count: number, rate: number, goFile: string) => `exec '${process.execPath}' '${EMIT_LINES}' ${count} ${rate} '${goFile}'`;

export const goFileName = () => join(tmpdir(), `jobflow-bench-go-${randomBytes(6).toString('hex')}`);

/** Starts `count` shell runs of `jobId` with `script`; resolves with their ids once all are running. */
export async function startShellRuns(env: BenchEnv, jf: JobflowStack, jobId: string, count: number, script: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const res = await jf.http.request('POST', `/api/jobs/${jobId}/runs`, { token: jf.token, body: { params: { script } } });
    if (res.status !== 201) throw new Error(`POST run failed: ${res.status} ${res.text}`);
    ids.push(String(field(res.body, 'id')));
  }
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { rows } = await env.db.query(`select count(*)::int as n from runs where id = any($1::uuid[]) and status = 'running'`, [ids]);
    if (rows[0].n === count) return ids;
    if (Date.now() > deadline) throw new Error('shell runs did not start');
    await sleep(10);
  }
}

/** Rows of `runs` (final, for the bench job) that raw peers write lines into. */
export async function fixtureRuns(env: BenchEnv, jobId: string, count: number, logCount: number): Promise<string[]> {
  const { rows } = await env.db.query(
    `insert into runs (job_id, status, params, max_attempts, started_at, finished_at, trigger_kind, log_count, version)
     select $1, 'succeeded', '{}', 1, now(), now(), 'api', $3, 3 from generate_series(1, $2) returning id`,
    [jobId, count, logCount],
  );
  return rows.map((r: { id: string }) => r.id);
}

/** Problems with the stored lines of `ids`: each must hold exactly seq 1..`count`, each line 80 characters starting with its own seq. */
export async function checkStoredLines(env: BenchEnv, ids: string[], count: number): Promise<string[]> {
  const { rows } = await env.db.query(
    `select run_id, count(*)::int as n, min(seq) as lo, max(seq) as hi,
            count(*) filter (where left(text, 9) <> lpad(seq::text, 8, '0') || ' ' or length(text) <> 80)::int as bad_text
     from run_logs where run_id = any($1::uuid[]) group by run_id`,
    [ids],
  );
  const problems: string[] = [];
  if (rows.length !== ids.length) problems.push(`${ids.length - rows.length} runs have no stored lines`);
  for (const r of rows) {
    if (r.n !== count || r.lo !== 1 || r.hi !== count) problems.push(`run ${r.run_id}: stored ${r.n} lines, seq ${r.lo}..${r.hi}, expected 1..${count}`);
    if (r.bad_text) problems.push(`run ${r.run_id}: ${r.bad_text} lines with wrong text`);
  }
  return problems;
}

/**
 * ingest: log lines/s stored and delivered to one subscriber, one run of
 * 200,000 lines of 80 B and 10 runs × 20,000, against the slower of raw
 * multi-row INSERTs (300 rows per statement) of the same rows and raw
 * emitter → adapter → client of the same lines (300 per emit).
 */
export async function ingestBench(env: BenchEnv): Promise<CaseResult[]> {
  const [jf, rawIo, rawWorker] = await Promise.all([
    jobflowFor(env, { concurrency: 10 }),
    rawHost<{ url: string; key: string }>(env, 'raw-io', { redisUrl: env.redisUrl, key: `${env.newPrefix('rawio')}:io` }),
    rawHost(env, 'raw-worker', { redisUrl: env.redisUrl, databaseUrl: env.databaseUrl, poolMax: 10 }),
  ]);
  const rawKey = rawIo.info.key;
  const jobId = await jf.createJob({ name: 'bench ingest', type: 'shell', params: { script: 'true' } });
  const jfSocket = connect(jf.url, jf.token);
  const rawSocket = connect(rawIo.info.url);
  await Promise.all([connected(jfSocket), connected(rawSocket)]);
  let checks = new Map<string, SeqCheck>();
  for (const s of [jfSocket, rawSocket]) {
    s.on('run:log', ({ runId, lines }: { runId: string; lines: { seq: number }[] }) => {
      const c = checks.get(runId);
      if (!c) return;
      const now = wallMs();
      for (const l of lines) c.add(l.seq, now);
    });
  }
  const results: CaseResult[] = [];
  const workloads = env.isQuick
    ? [
        { id: 'ingest 1×10k', runs: 1, lines: 10_000 },
        { id: 'ingest 10×1k', runs: 10, lines: 1_000 },
      ]
    : [
        { id: 'ingest 1×200k', runs: 1, lines: 200_000 },
        { id: 'ingest 10×20k', runs: 10, lines: 20_000 },
      ];

  async function jobflowRepeat(runs: number, lines: number): Promise<SideSample> {
    const goFile = goFileName();
    const ids = await startShellRuns(env, jf, jobId, runs, emitScript(lines, 0, goFile));
    checks = new Map(ids.map((id) => [id, new SeqCheck(lines)]));
    for (const id of ids) await subscribe(jfSocket, { topic: 'run', runId: id });
    const m = await measured(env, jf.hosts, async () => {
      const t0 = wallMs();
      writeFileSync(goFile, '');
      await until(() => [...checks.values()].every((c) => c.isComplete), `${runs * lines} lines at the subscriber`, 300_000, 2);
      return Math.max(...[...checks.values()].map((c) => c.lastAtMs)) - t0;
    });
    rmSync(goFile, { force: true });
    const deadline = Date.now() + 60_000;
    let finalRows: { n: number }[] = [];
    while (Date.now() < deadline) {
      finalRows = (
        await env.db.query(`select count(*)::int as n from runs where id = any($1::uuid[]) and status = 'succeeded' and log_count = $2`, [ids, lines])
      ).rows;
      if (finalRows[0]!.n === runs) break;
      await sleep(20);
    }
    const problems = [...[...checks.entries()].flatMap(([id, c]) => c.problems(`subscriber, run ${id}`)), ...(await checkStoredLines(env, ids, lines))];
    if (finalRows[0]!.n !== runs) problems.push(`${runs - finalRows[0]!.n} runs did not succeed with logCount ${lines}`);
    for (const id of ids) await new Promise((r) => jfSocket.emit('unsubscribe', { topic: 'run', runId: id }, r));
    return {
      metrics: {
        linesPerSec: ((runs * lines) / m.value) * 1000,
        cpuMsPer1000Lines: (cpuMs(m.procs) / (runs * lines)) * 1000,
        commitsPer1000Lines: (m.pg.commits / (runs * lines)) * 1000,
      },
      verified: ['subscriber got seq 1..N of every run once, in order', 'PostgreSQL holds seq 1..N with the right text for every run', 'every run succeeded'],
      problems,
      procs: m.procs,
      pg: m.pg,
    };
  }

  async function rawRepeat(runs: number, lines: number): Promise<SideSample> {
    const ids = await fixtureRuns(env, jobId, runs, lines);
    const m = await measured(env, [rawWorker, rawIo], async () => {
      const insert = await rawWorker.call<{ ms: number }>('pg:insert', { runIds: ids, count: lines, rowsPerStatement: ROWS_PER_STATEMENT });
      checks = new Map(ids.map((id) => [id, new SeqCheck(lines)]));
      for (const id of ids) await subscribe(rawSocket, { room: `run:${id}` });
      const t0 = wallMs();
      await rawWorker.call('io:emitLines', { key: rawKey, runIds: ids, count: lines, batch: ROWS_PER_STATEMENT });
      await until(() => [...checks.values()].every((c) => c.isComplete), `${runs * lines} raw lines at the client`, 300_000, 2);
      const emitMs = Math.max(...[...checks.values()].map((c) => c.lastAtMs)) - t0;
      return { insertMs: insert.ms, emitMs };
    });
    const problems = [...[...checks.entries()].flatMap(([id, c]) => c.problems(`raw client, run ${id}`)), ...(await checkStoredLines(env, ids, lines))];
    const insert = ((runs * lines) / m.value.insertMs) * 1000;
    const emit = ((runs * lines) / m.value.emitMs) * 1000;
    return {
      metrics: {
        linesPerSec: Math.min(insert, emit),
        insertLinesPerSec: insert,
        emitLinesPerSec: emit,
        cpuMsPer1000Lines: (cpuMs(m.procs) / (runs * lines)) * 1000,
      },
      verified: ['raw client got seq 1..N once, in order', 'raw INSERTs stored seq 1..N with the right text'],
      problems,
      procs: m.procs,
    };
  }
  try {
    for (const w of workloads) {
      results.push(
        await runCase(
          {
            id: w.id,
            workload: `${w.runs} run(s) × ${w.lines.toLocaleString('en-US')} lines of 80 B, written by a shell run as fast as the pipe takes them; timed from release to the last line at one subscriber`,
            peer: `slower of: raw multi-row INSERT (${ROWS_PER_STATEMENT} rows per statement, one connection per run) and raw emitter → adapter → client (${ROWS_PER_STATEMENT} lines per emit)`,
            warmup: true,
            repeats: env.repeats,
            rows: [
              {
                label: 'lines/s vs slower raw',
                metric: 'linesPerSec',
                unit: 'lines/s',
                targets: [{ kind: 'ratio>=', value: 0.5, text: '≥ 0.5 of the slower raw peer' }],
              },
              { label: 'lines/s vs raw INSERT', metric: 'linesPerSec', peerMetric: 'insertLinesPerSec', unit: 'lines/s', targets: [] },
              { label: 'lines/s vs raw emit', metric: 'linesPerSec', peerMetric: 'emitLinesPerSec', unit: 'lines/s', targets: [] },
              { label: 'CPU ms per 1,000 lines, all processes (raw: INSERT + emit)', metric: 'cpuMsPer1000Lines', unit: 'ms', targets: [] },
              { label: 'PG commits per 1,000 lines', metric: 'commitsPer1000Lines', unit: 'commits', isJobflowOnly: true, targets: [] },
            ],
            run: (side) => (side === 'jobflow' ? jobflowRepeat(w.runs, w.lines) : rawRepeat(w.runs, w.lines)),
          },
          env.log,
        ),
      );
    }
    return results;
  } finally {
    jfSocket.disconnect();
    rawSocket.disconnect();
    await rawWorker.stop();
    await rawIo.stop();
    await jf.stop();
  }
}
