import BeeQueue from 'bee-queue';
import { randomBytes } from 'node:crypto';
import { measured, jobflowFor, rawHost, type BenchEnv } from './lib/env';
import { field, pool } from './lib/http';
import type { ProbeReading } from './lib/proc';
import { wallMs } from './lib/probe';
import { runCase, type CaseResult, type SideSample } from './lib/runner';
import { connect, connected, subscribe, until } from './lib/sockets';

const CONCURRENCY = 50;

/** CPU time of every process in a window (driver included: it is the HTTP client or the Bee-Queue producer). */
export const cpuMs = (procs: Record<string, ProbeReading>) => Object.values(procs).reduce((sum, p) => sum + p.stats.cpuMs, 0);

/**
 * runs: runs/s from POST to `succeeded` stored and pushed to a dashboard
 * subscriber, one worker at concurrency 50, against raw Bee-Queue with the
 * same Redis, queue settings and concurrency and a no-op handler.
 */
export async function runsBench(env: BenchEnv): Promise<CaseResult[]> {
  const count = env.isQuick ? 200 : 10_000;
  const warmupCount = env.isQuick ? 50 : 1000;
  const rawPrefix = `${env.newPrefix('raw')}:bq`;
  const [jf, rawWorker] = await Promise.all([
    jobflowFor(env, { concurrency: CONCURRENCY, connections: CONCURRENCY }),
    rawHost(env, 'raw-worker', { redisUrl: env.redisUrl, databaseUrl: env.databaseUrl, poolMax: 10 }),
  ]);
  await rawWorker.call('bq:start', { prefix: rawPrefix, concurrency: CONCURRENCY });
  const producer = new BeeQueue('runs', {
    prefix: rawPrefix,
    redis: { url: env.redisUrl } as never,
    isWorker: false,
    getEvents: false,
    sendEvents: false,
    storeJobs: false,
  });
  await producer.ready();

  const jobId = await jf.createJob({ name: 'bench no-op', type: 'sleep', params: { seconds: 0 } });
  const dashboard = connect(jf.url, jf.token);
  await connected(dashboard);
  await subscribe(dashboard, { topic: 'dashboard' });
  const updates = new Map<string, { versions: number[]; succeededAtMs: number }>();
  dashboard.on('run:updated', (run: { id: string; version: number; status: string }) => {
    let u = updates.get(run.id);
    if (!u) updates.set(run.id, (u = { versions: [], succeededAtMs: 0 }));
    u.versions.push(run.version);
    if (run.status === 'succeeded') u.succeededAtMs = wallMs();
  });

  async function jobflowRepeat(count: number): Promise<SideSample> {
    const ids: string[] = [];
    let done = 0;
    const m = await measured(env, jf.hosts, async () => {
      const t0 = wallMs();
      await pool(count, CONCURRENCY, async (i) => {
        const res = await jf.http.request('POST', `/api/jobs/${jobId}/runs`, { token: jf.token, body: {} });
        if (res.status !== 201) throw new Error(`POST run failed: ${res.status} ${res.text}`);
        ids[i] = String(field(res.body, 'id'));
      });
      const isDone = () => {
        while (done < ids.length && (updates.get(ids[done]!)?.succeededAtMs ?? 0) > 0) done++;
        return done === ids.length;
      };
      await until(isDone, `${count} runs to succeed`, 120_000 + count * 20, 20);
      return Math.max(...ids.map((id) => updates.get(id)!.succeededAtMs)) - t0;
    });
    const problems: string[] = [];
    let badVersions = 0;
    for (const id of ids) {
      const v = updates.get(id)!.versions;
      const sorted = [...v].sort((a, b) => a - b);
      if (sorted.length !== 3 || sorted.some((x, i) => x !== i + 1)) badVersions++;
      updates.delete(id);
    }
    if (badVersions) problems.push(`${badVersions} runs without exactly one run:updated per version 1..3 at the dashboard subscriber`);
    const { rows } = await env.db.query(
      `select count(*) filter (where r.status = 'succeeded')::int as ok, count(*)::int as n,
              count(*) filter (where coalesce(l.c, 0) <> r.log_count or coalesce(l.m, 0) <> r.log_count)::int as bad_logs
       from runs r left join (select run_id, count(*) c, max(seq) m from run_logs where run_id = any($1::uuid[]) group by run_id) l on l.run_id = r.id
       where r.id = any($1::uuid[])`,
      [ids],
    );
    if (rows[0].ok !== count) problems.push(`${count - rows[0].ok} runs not succeeded in PostgreSQL`);
    if (rows[0].bad_logs) problems.push(`${rows[0].bad_logs} runs whose stored lines are not seq 1..logCount`);
    return {
      metrics: {
        runsPerSec: (count / m.value) * 1000,
        cpuMsPerRun: cpuMs(m.procs) / count,
        commitsPerRun: m.pg.commits / count,
        writeCommitsPerRun: m.pg.writeCommits / count,
        statementsPerRun: m.pg.statements / count,
      },
      verified: [
        'every run succeeded in PostgreSQL',
        'stored lines seq 1..logCount per run',
        'dashboard subscriber got versions 1, 2, 3 of every run, once each',
      ],
      problems,
      procs: m.procs,
      pg: m.pg,
    };
  }

  async function rawRepeat(count: number): Promise<SideSample> {
    await rawWorker.call('bq:reset');
    const tag = randomBytes(4).toString('hex');
    let state = { count: 0, duplicates: 0, lastAtMs: 0 };
    const m = await measured(env, [rawWorker], async () => {
      const t0 = wallMs();
      await pool(count, CONCURRENCY, (i) =>
        producer
          .createJob({ id: `${tag}-${i}` })
          .setId(`${tag}-${i}`)
          .save(),
      );
      const deadline = Date.now() + 120_000;
      while ((state = await rawWorker.call('bq:count')).count < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      return state.lastAtMs - t0;
    });
    const problems: string[] = [];
    if (state.count !== count) problems.push(`${count - state.count} raw jobs not completed`);
    if (state.duplicates) problems.push(`${state.duplicates} raw jobs completed twice`);
    return {
      metrics: { runsPerSec: (count / m.value) * 1000, cpuMsPerRun: cpuMs(m.procs) / count },
      verified: ['every raw job completed once'],
      problems,
      procs: m.procs,
    };
  }

  try {
    const result = await runCase(
      {
        id: 'runs',
        workload: `${count.toLocaleString('en-US')} no-op runs (warm-up ${warmupCount.toLocaleString('en-US')}) (sleep type, 0 s: stores one log line), ${CONCURRENCY} POSTs in flight, one worker at concurrency ${CONCURRENCY}`,
        peer: `raw Bee-Queue: same Redis, queue settings and concurrency, no-op handler, ${CONCURRENCY} saves in flight`,
        warmup: true,
        repeats: env.repeats,
        rows: [
          { label: 'runs/s', metric: 'runsPerSec', unit: 'runs/s', targets: [{ kind: 'ratio>=', value: 0.35, text: '≥ 0.35 of raw' }] },
          { label: 'CPU ms per run, all processes', metric: 'cpuMsPerRun', unit: 'ms', targets: [] },
          { label: 'PG commits per run', metric: 'commitsPerRun', unit: 'commits', isJobflowOnly: true, targets: [{ kind: 'abs<=', value: 3, text: '≤ 3' }] },
          { label: 'PG write commits per run', metric: 'writeCommitsPerRun', unit: 'commits', isJobflowOnly: true, targets: [] },
        ],
        run: (side, _repeat, isWarmup) => {
          const n = isWarmup ? warmupCount : count;
          return side === 'jobflow' ? jobflowRepeat(n) : rawRepeat(n);
        },
      },
      env.log,
    );
    return [result];
  } finally {
    dashboard.disconnect();
    await producer.close(1000).catch(() => {});
    await rawWorker.call('bq:stop').catch(() => {});
    await rawWorker.stop();
    await jf.stop();
  }
}
