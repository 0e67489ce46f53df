import BeeQueue from 'bee-queue';
import { randomBytes } from 'node:crypto';
import type { Completions } from './lib/completions';
import { measured, jobflowFor, rawHost, sleep, type BenchEnv } from './lib/env';
import { pool } from './lib/http';
import { startAll, type ProbeReading } from './lib/proc';
import { wallMs } from './lib/probe';
import { startBullMQ, startGraphileWorker, startPgBoss, versionOf, type QueuePeer, type Stored } from './lib/queue-peers';
import { runCase, type CaseResult, type RowSpec, type SideSample } from './lib/runner';
import { connect, connected, subscribe, until } from './lib/sockets';

const CONCURRENCY = 50;
/** Jobs per bulk call of a queue peer's producer (calls made one after the other). */
const BULK = 500;
/** pg-boss fetches (and completes) this many jobs at a time. */
const PG_BOSS_BATCH = 500;

/** CPU time of every process in a window (driver included: the HTTP client, the Bee-Queue producer, or what reads a queue peer's store). */
export const cpuMs = (procs: Record<string, ProbeReading>) => Object.values(procs).reduce((sum, p) => sum + p.stats.cpuMs, 0);

/**
 * runs: runs/s from POST to `succeeded` stored and pushed to a dashboard
 * subscriber, one worker at concurrency 50, beside the job queues a team
 * would otherwise build on, interleaved in one invocation: raw Bee-Queue
 * (Jobflow's own queue, bare), graphile-worker and pg-boss on the same
 * PostgreSQL, BullMQ on the same Redis; each with one worker process at the
 * same concurrency, jobs added in bulk and a no-op handler.
 */
export async function runsBench(env: BenchEnv): Promise<CaseResult[]> {
  const count = env.isQuick ? 200 : 10_000;
  const warmupCount = env.isQuick ? 50 : 1000;
  const rawPrefix = `${env.newPrefix('raw')}:bq`;
  const opts = { concurrency: CONCURRENCY, bulk: BULK };
  const [jf, rawWorker, ...peers] = await startAll<
    [Awaited<ReturnType<typeof jobflowFor>>, Awaited<ReturnType<typeof rawHost>>, QueuePeer, QueuePeer, QueuePeer]
  >([
    jobflowFor(env, { concurrency: CONCURRENCY, connections: CONCURRENCY }),
    rawHost(env, 'raw-worker', { redisUrl: env.redisUrl, databaseUrl: env.databaseUrl, poolMax: 10 }),
    startGraphileWorker(env, opts),
    startPgBoss(env, { ...opts, batchSize: PG_BOSS_BATCH }),
    startBullMQ(env, opts),
  ]);
  env.log(`  peers: ${peers.map((p) => p.name).join(', ')}`);
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
        ids[i] = res.body.id;
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

  /**
   * One repeat of a queue peer: the producer adds the jobs in bulk while the
   * worker runs them; the figure ends when the peer's own store has recorded
   * every completion (its worker may record them after the handler returns).
   */
  async function peerRepeat(peer: QueuePeer, count: number): Promise<SideSample> {
    await peer.clear();
    const tag = randomBytes(4).toString('hex');
    await peer.worker.call('reset', { tag });
    let ran: Completions = { count: 0, duplicates: 0, foreign: 0, lastAtMs: 0 };
    let added: number | null = null;
    let stored: Stored = { completed: 0, pending: count, failed: 0 };
    const m = await measured(env, [peer.producer, peer.worker], async () => {
      const t0 = wallMs();
      const running = peer.worker.call<Completions>('wait', { count, timeoutMs: 120_000 + count * 20 });
      added = (await peer.producer.call<{ added: number | null }>('add', { tag, count, bulk: BULK })).added;
      ran = await running;
      const deadline = Date.now() + 30_000;
      while ((stored = await peer.stored(tag, count)).completed < count && !stored.failed && Date.now() < deadline) await sleep(2);
      return wallMs() - t0;
    });
    const problems: string[] = [];
    if (added !== null && added !== count) problems.push(`${peer.name} added ${added} of ${count} jobs`);
    if (ran.count !== count) problems.push(`${count - ran.count} ${peer.name} jobs never ran`);
    if (ran.duplicates) problems.push(`${ran.duplicates} ${peer.name} jobs ran twice`);
    if (ran.foreign) problems.push(`${ran.foreign} ${peer.name} jobs of an earlier repeat ran in this one`);
    if (stored.completed !== count) problems.push(`${peer.name} recorded ${stored.completed} of ${count} jobs as completed`);
    if (stored.failed) problems.push(`${peer.name} recorded ${stored.failed} jobs as failed`);
    if (stored.pending) problems.push(`${peer.name} still holds ${stored.pending} jobs not completed`);
    return {
      metrics: {
        runsPerSec: (count / m.value) * 1000,
        cpuMsPerRun: cpuMs(m.procs) / count,
        ...(peer.isPostgres
          ? { commitsPerRun: m.pg.commits / count, writeCommitsPerRun: m.pg.writeCommits / count, statementsPerRun: m.pg.statements / count }
          : {}),
      },
      verified: [
        `${peer.name}: every job added once, run once by the handler, and recorded as completed by ${peer.isPostgres ? 'its tables' : 'its Redis keys'}`,
      ],
      problems,
      procs: m.procs,
      pg: m.pg,
    };
  }

  const peerSpecs = [{ side: 'raw', name: `raw Bee-Queue ${versionOf('bee-queue')}` }, ...peers.map((p) => ({ side: p.side, name: p.name }))];
  const pgPeers = peers.filter((p) => p.isPostgres);
  const rows: RowSpec[] = [
    ...peerSpecs.map((p): RowSpec => ({
      label: 'runs/s',
      metric: 'runsPerSec',
      unit: 'runs/s',
      peer: p.side,
      targets:
        p.side === 'raw'
          ? [{ kind: 'ratio>=', value: 0.35, text: '≥ 0.35 of raw' }]
          : p.side === 'bullmq'
            ? [{ kind: 'ratio>=', value: 1, text: '≥ 1.0 of BullMQ' }]
            : [],
    })),
    ...peerSpecs.map((p, i): RowSpec => ({
      label: 'CPU ms per run, all processes',
      metric: 'cpuMsPerRun',
      unit: 'ms',
      peer: p.side,
      targets: i === 0 ? [{ kind: 'abs<=', value: 0.4, text: 'Jobflow ≤ 0.4 ms' }] : [],
    })),
    ...pgPeers.map((p, i): RowSpec => ({
      label: 'PG commits per run',
      metric: 'commitsPerRun',
      unit: 'commits',
      peer: p.side,
      targets: i === 0 ? [{ kind: 'abs<=', value: 3, text: 'Jobflow ≤ 3' }] : [],
    })),
    ...pgPeers.map((p): RowSpec => ({ label: 'PG write commits per run', metric: 'writeCommitsPerRun', unit: 'commits', peer: p.side, targets: [] })),
  ];

  let result: CaseResult | null = null;
  const leftovers: string[] = [];
  try {
    result = await runCase(
      {
        id: 'runs',
        workload: `${count.toLocaleString('en-US')} no-op runs (warm-up ${warmupCount.toLocaleString('en-US')}) (sleep type, 0 s: stores one log line), ${CONCURRENCY} POSTs in flight, one worker at concurrency ${CONCURRENCY}`,
        peer:
          `each with the same job count, one worker process at concurrency ${CONCURRENCY} and a no-op handler; CPU of every process of the side (the bench driver included); ` +
          `raw Bee-Queue: same Redis and queue settings, ${CONCURRENCY} saves in flight from the driver; ` +
          peers.map((p) => `${p.name}: producer process, ${p.settings}`).join('; '),
        peers: peerSpecs,
        warmup: true,
        repeats: env.repeats,
        rows,
        run: (side, _repeat, isWarmup) => {
          const n = isWarmup ? warmupCount : count;
          if (side === 'jobflow') return jobflowRepeat(n);
          if (side === 'raw') return rawRepeat(n);
          return peerRepeat(
            peers.find((p) => p.side === side)!,
            n,
          );
        },
      },
      env.log,
    );
  } finally {
    dashboard.disconnect();
    await producer.close(1000).catch(() => {});
    await rawWorker.call('bq:stop').catch(() => {});
    await rawWorker.stop();
    await jf.stop();
    for (const p of peers) await p.stop().catch((e: Error) => leftovers.push(`stopping ${p.name}: ${e.message}`));
  }
  // A peer that leaves a schema or keys behind fails the run like a lost job.
  if (leftovers.length) {
    result.problems.push(...leftovers);
    result.isVerified = false;
  }
  return [result];
}
