import BeeQueue from 'bee-queue';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { Emitter } from '@socket.io/redis-emitter';
import { measured, sleep, jobflowFor, rawHost, type BenchEnv } from './lib/env';
import { wallMs } from './lib/probe';
import { field } from './lib/http';
import { runCase, type CaseResult, type SideSample } from './lib/runner';
import { connect, connected, subscribe, until, type BenchSocket } from './lib/sockets';
import { latencySummary } from './lib/stats';

const RATE = 50;
const SUBSCRIBERS = 10;

interface Seen {
  firstMs: number;
  finalMs: number;
  versions: number[];
}

/**
 * latency: POST → first `run:updated` at a subscriber → final one, open loop
 * at 50 runs/s, 10 dashboard subscribers. The raw peer sends to the same 10
 * sockets: a Bee-Queue job saved and announced through the emitter, its
 * no-op handler announcing completion through the emitter.
 */
export async function latencyBench(env: BenchEnv): Promise<CaseResult[]> {
  const seconds = env.isQuick ? 2 : 60;
  const warmupSeconds = env.isQuick ? 1 : 10;
  const rawPrefix = `${env.newPrefix('raw')}:bq`;
  const [jf, rawWorker] = await Promise.all([
    jobflowFor(env, { concurrency: 50, connections: 50 }),
    rawHost(env, 'raw-worker', { redisUrl: env.redisUrl, databaseUrl: env.databaseUrl, poolMax: 10 }),
  ]);
  const ioKey = `${jf.prefix}:io`;
  await rawWorker.call('bq:start', { prefix: rawPrefix, concurrency: 50, emit: { key: ioKey, room: 'dashboard' } });
  const producer = new BeeQueue('runs', {
    prefix: rawPrefix,
    redis: { url: env.redisUrl } as never,
    isWorker: false,
    getEvents: false,
    sendEvents: false,
    storeJobs: false,
  });
  await producer.ready();
  const redis = new Redis(env.redisUrl);
  const emitter = new Emitter(redis, { key: ioKey });

  const jobId = await jf.createJob({ name: 'bench latency', type: 'sleep', params: { seconds: 0 } });
  const subscribers: BenchSocket[] = [];
  const seen: Map<string, Seen>[] = [];
  for (let i = 0; i < SUBSCRIBERS; i++) {
    const s = connect(jf.url, jf.token);
    await connected(s);
    await subscribe(s, { topic: 'dashboard' });
    const mine = new Map<string, Seen>();
    const get = (id: string) => {
      let x = mine.get(id);
      if (!x) mine.set(id, (x = { firstMs: 0, finalMs: 0, versions: [] }));
      return x;
    };
    s.on('run:updated', (run: { id: string; version: number; status: string }) => {
      const now = wallMs();
      const x = get(run.id);
      if (!x.firstMs) x.firstMs = now;
      x.versions.push(run.version);
      if (run.status === 'succeeded') x.finalMs = now;
    });
    s.on('raw:queued', ({ id }: { id: string }) => {
      const x = get(id);
      x.firstMs ||= wallMs();
      x.versions.push(1);
    });
    s.on('raw:done', ({ id }: { id: string }) => {
      const x = get(id);
      x.finalMs = wallMs();
      x.firstMs ||= x.finalMs;
      x.versions.push(2);
    });
    subscribers.push(s);
    seen.push(mine);
  }

  /** Starts one run every 1/RATE s on schedule (open loop), whatever the previous ones are doing. */
  async function openLoop(durationSec: number, start: (i: number) => Promise<string>) {
    const n = durationSec * RATE;
    const sent: { id: string; atMs: number }[] = [];
    const t0 = wallMs() + 20;
    const inFlight: Promise<void>[] = [];
    const failures: string[] = [];
    for (let i = 0; i < n; i++) {
      const wait = t0 + (i * 1000) / RATE - wallMs();
      if (wait > 0) await sleep(wait);
      const atMs = wallMs();
      inFlight.push(
        start(i).then(
          (id) => void sent.push({ id, atMs }),
          (e: Error) => void failures.push(e.message),
        ),
      );
    }
    await Promise.all(inFlight);
    await until(() => sent.every((r) => seen.every((m) => (m.get(r.id)?.finalMs ?? 0) > 0)), 'every subscriber to see every run finish', 60_000, 20);
    const first: number[] = [];
    const final: number[] = [];
    for (const r of sent) {
      for (const m of seen) {
        const x = m.get(r.id)!;
        first.push(x.firstMs - r.atMs);
        final.push(x.finalMs - r.atMs);
      }
    }
    return { sent, failures, first: latencySummary(first), final: latencySummary(final) };
  }

  const cleanup = (ids: string[]) => {
    for (const m of seen) for (const id of ids) m.delete(id);
  };

  async function jobflowRepeat(isWarmup: boolean): Promise<SideSample> {
    const m = await measured(env, jf.hosts, () =>
      openLoop(isWarmup ? warmupSeconds : seconds, async () => {
        const res = await jf.http.request('POST', `/api/jobs/${jobId}/runs`, { token: jf.token, body: {} });
        if (res.status !== 201) throw new Error(`POST run failed: ${res.status} ${res.text}`);
        return String(field(res.body, 'id'));
      }),
    );
    const ids = m.value.sent.map((r) => r.id);
    const problems: string[] = m.value.failures.length ? [`${m.value.failures.length} runs could not be started: ${m.value.failures[0]}`] : [];
    let bad = 0;
    for (const id of ids) for (const s of seen) if ([...s.get(id)!.versions].sort().join() !== '1,2,3') bad++;
    if (bad) problems.push(`${bad} (run, subscriber) pairs without exactly versions 1, 2, 3`);
    const { rows } = await env.db.query(`select count(*)::int as n from runs where id = any($1::uuid[]) and status = 'succeeded'`, [ids]);
    if (rows[0].n !== ids.length) problems.push(`${ids.length - rows[0].n} runs not succeeded in PostgreSQL`);
    cleanup(ids);
    return {
      metrics: { firstP50: m.value.first.p50, firstP99: m.value.first.p99, finalP50: m.value.final.p50, finalP99: m.value.final.p99, runs: ids.length },
      verified: [`each of ${SUBSCRIBERS} subscribers got versions 1, 2, 3 of every run once`, 'every run succeeded in PostgreSQL'],
      problems,
      procs: m.procs,
      pg: m.pg,
    };
  }

  async function rawRepeat(isWarmup: boolean): Promise<SideSample> {
    await rawWorker.call('bq:reset');
    const tag = randomBytes(4).toString('hex');
    const m = await measured(env, [rawWorker], () =>
      openLoop(isWarmup ? warmupSeconds : seconds, async (i) => {
        const id = `${tag}-${i}`;
        await producer.createJob({ id }).setId(id).save();
        emitter.to('dashboard').emit('raw:queued', { id });
        return id;
      }),
    );
    const ids = m.value.sent.map((r) => r.id);
    let bad = 0;
    for (const id of ids) for (const s of seen) if ([...s.get(id)!.versions].sort().join() !== '1,2') bad++;
    cleanup(ids);
    return {
      metrics: { firstP50: m.value.first.p50, firstP99: m.value.first.p99, finalP50: m.value.final.p50, finalP99: m.value.final.p99, runs: ids.length },
      verified: [`each of ${SUBSCRIBERS} subscribers got the queued and done events of every job once`],
      problems: [
        ...(bad ? [`${bad} (job, subscriber) pairs without exactly one queued and one done event`] : []),
        ...(m.value.failures.length ? [`${m.value.failures.length} jobs could not be started: ${m.value.failures[0]}`] : []),
      ],
      procs: m.procs,
    };
  }

  try {
    const result = await runCase(
      {
        id: 'latency',
        workload: `open loop at ${RATE} runs/s for ${seconds} s (warm-up ${warmupSeconds} s), ${SUBSCRIBERS} dashboard subscribers, no-op (sleep 0 s) runs, one worker at concurrency 50`,
        peer: 'raw Bee-Queue job saved then announced with the emitter, no-op handler announcing completion with the emitter, to the same 10 sockets',
        warmup: true,
        repeats: env.repeats,
        rows: [
          { label: 'first event p50', metric: 'firstP50', unit: 'ms', targets: [] },
          { label: 'first event p99', metric: 'firstP99', unit: 'ms', targets: [{ kind: 'diff<=', value: 50, text: 'within 50 ms of raw' }] },
          { label: 'final event p50', metric: 'finalP50', unit: 'ms', targets: [] },
          { label: 'final event p99', metric: 'finalP99', unit: 'ms', targets: [{ kind: 'diff<=', value: 50, text: 'within 50 ms of raw' }] },
        ],
        run: (side, _repeat, isWarmup) => (side === 'jobflow' ? jobflowRepeat(isWarmup) : rawRepeat(isWarmup)),
      },
      env.log,
    );
    return [result];
  } finally {
    for (const s of subscribers) s.disconnect();
    redis.disconnect();
    await producer.close(1000).catch(() => {});
    await rawWorker.call('bq:stop').catch(() => {});
    await rawWorker.stop();
    await jf.stop();
  }
}
