import { rmSync, writeFileSync } from 'node:fs';
import { measured, jobflowFor, rawHost, type BenchEnv } from './lib/env';
import { pool } from './lib/http';
import { timeOfLine } from './lib/lines';
import { wallMs } from './lib/probe';
import { runCase, type CaseResult, type SideSample } from './lib/runner';
import { SeqCheck, connect, connected, subscribe, until, type BenchSocket } from './lib/sockets';
import { latencySummary } from './lib/stats';
import { checkStoredLines, emitScript, fixtureRuns, goFileName, startShellRuns } from './ingest.bench';

const RATE = 1000;

/**
 * fanout: delivery latency (line produced → line at a subscriber) for one run
 * writing 1,000 lines/s, with 1, 100 and 500 subscribers, against raw
 * Socket.IO with the same Redis adapter, the same N and rate, one emit per line.
 */
export async function fanoutBench(env: BenchEnv): Promise<CaseResult[]> {
  const seconds = env.isQuick ? 1 : 10;
  const sizes = env.isQuick ? [1, 20, 50] : [1, 100, 500];
  const maxN = Math.max(...sizes);
  const [jf, rawIo, rawWorker] = await Promise.all([
    jobflowFor(env, { concurrency: 10 }),
    rawHost<{ url: string; key: string }>(env, 'raw-io', { redisUrl: env.redisUrl, key: `${env.newPrefix('rawio')}:io` }),
    rawHost(env, 'raw-worker', { redisUrl: env.redisUrl, databaseUrl: env.databaseUrl, poolMax: 10 }),
  ]);
  const rawKey = rawIo.info.key;
  const jobId = await jf.createJob({ name: 'bench fanout', type: 'shell', params: { script: 'true' } });
  const total = RATE * seconds;

  // What the current repeat is collecting: per subscriber a seq check, and every latency sample.
  let runId = '';
  let checks: SeqCheck[] = [];
  let producedAt = new Float64Array(total + 1);
  let samples = new Float64Array(0);
  let sampleCount = 0;
  const listen = (s: BenchSocket, index: number) =>
    s.on('run:log', (msg: { runId: string; lines: { seq: number; text: string }[] }) => {
      const c = checks[index];
      if (!c || msg.runId !== runId) return;
      const now = wallMs();
      for (const l of msg.lines) {
        let at = producedAt[l.seq];
        if (!at) at = producedAt[l.seq] = timeOfLine(l.text);
        if (sampleCount < samples.length) samples[sampleCount++] = now - at;
        c.add(l.seq, now);
      }
    });

  /**
   * One side's subscribers, slot by slot. A client its server dropped (the
   * Jobflow server drops subscribers that cannot keep up; a raw server under
   * a load it cannot carry misses their pings) is replaced before the next
   * repeat and counted.
   */
  function clientPool(open: () => BenchSocket) {
    const sockets: BenchSocket[] = [];
    const pool = {
      sockets,
      disconnects: 0,
      async get(i: number): Promise<BenchSocket> {
        const old = sockets[i];
        if (old?.connected) return old;
        old?.close();
        const s = open();
        await connected(s);
        listen(s, i);
        s.on('disconnect', () => pool.disconnects++);
        return (sockets[i] = s);
      },
    };
    return pool;
  }
  const jfClients = clientPool(() => connect(jf.url, jf.token));
  const rawClients = clientPool(() => connect(rawIo.info.url));
  await pool(maxN, 50, (i) => Promise.all([jfClients.get(i), rawClients.get(i)]));

  /** Subscribes the first `n` clients; returns the failures (a client that cannot subscribe gets no line). */
  async function subscribeAll(clients: ReturnType<typeof clientPool>, n: number, payload: Record<string, unknown>): Promise<string[]> {
    const failures: string[] = [];
    await pool(n, 50, async (i) => subscribe(await clients.get(i), payload, 20_000).catch((e) => failures.push(`subscriber ${i + 1}: ${e.message}`)));
    return failures;
  }

  const reset = (id: string, n: number) => {
    runId = id;
    checks = Array.from({ length: n }, () => new SeqCheck(total));
    producedAt = new Float64Array(total + 1);
    samples = new Float64Array(n * total);
    sampleCount = 0;
  };
  /** Waits for every subscriber's last line (the seq checks report whatever never came). */
  const collect = async () => {
    await until(() => checks.every((c) => c.isComplete), 'every subscriber to get every line', seconds * 1000 + 120_000, 5).catch(() => undefined);
    return latencySummary(samples.subarray(0, sampleCount));
  };

  async function jobflowRepeat(n: number): Promise<SideSample> {
    const goFile = goFileName();
    const [id] = await startShellRuns(env, jf, jobId, 1, emitScript(total, RATE, goFile));
    reset(id!, n);
    const disconnectsBefore = jfClients.disconnects;
    const refused = await subscribeAll(jfClients, n, { topic: 'run', runId: id });
    const m = await measured(env, jf.hosts, async () => {
      writeFileSync(goFile, '');
      return collect();
    });
    rmSync(goFile, { force: true });
    await pool(n, 50, (i) => new Promise((r) => jfClients.sockets[i]!.timeout(10_000).emit('unsubscribe', { topic: 'run', runId: id }, r)));
    const dropped = jfClients.disconnects - disconnectsBefore;
    const problems = [
      ...refused.slice(0, 5),
      ...(dropped ? [`${dropped} subscribers disconnected by the server (too slow to keep up)`] : []),
      ...checks.flatMap((c, i) => c.problems(`subscriber ${i + 1}`)).slice(0, 10),
      ...(await checkStoredLines(env, [id!], total)),
    ];
    return {
      metrics: { p50: m.value.p50, p99: m.value.p99, max: m.value.max, commitsPer1000Lines: (m.pg.commits / total) * 1000 },
      verified: [`each of ${n} subscribers got seq 1..${total} once, in order`, 'PostgreSQL holds every line'],
      problems,
      procs: m.procs,
      pg: m.pg,
    };
  }

  async function rawRepeat(n: number): Promise<SideSample> {
    const disconnectsBefore = rawClients.disconnects;
    const [id] = await fixtureRuns(env, jobId, 1, 0);
    reset(id!, n);
    const refused = await subscribeAll(rawClients, n, { room: `run:${id}` });
    const m = await measured(env, [rawWorker, rawIo], async () => {
      await rawWorker.call('io:paced', { key: rawKey, runId: id, count: total, rate: RATE });
      return collect();
    });
    const lost = checks.map((c, i) => c.problems(`raw client ${i + 1}`)).filter((p) => p.length);
    const dropped = rawClients.disconnects - disconnectsBefore;
    return {
      metrics: { p50: m.value.p50, p99: m.value.p99, max: m.value.max },
      verified: [`each of ${n} raw clients got seq 1..${total} once, in order`],
      problems: [],
      peerFailure: lost.length
        ? `${lost.length} of ${n} raw clients did not get every line (${dropped} disconnections, ${refused.length} failed subscriptions), e.g. ${lost.flat().slice(0, 3).join('; ')}`
        : undefined,
      procs: m.procs,
    };
  }

  const results: CaseResult[] = [];
  try {
    for (const n of sizes) {
      results.push(
        await runCase(
          {
            id: `fanout ${n}`,
            workload: `one shell run writing ${RATE.toLocaleString('en-US')} lines/s for ${seconds} s (lines carry their production time), ${n} subscriber(s) of the run`,
            peer: 'raw Socket.IO server with the same Redis adapter; raw emitter, one emit per line as it is produced, same N and rate',
            warmup: true,
            repeats: env.repeats,
            rows: [
              { label: 'delivery p50', metric: 'p50', unit: 'ms', targets: [] },
              { label: 'delivery p99', metric: 'p99', unit: 'ms', targets: [{ kind: 'ratio<=', value: 1.5, text: '≤ 1.5× raw' }] },
              { label: 'PG commits per 1,000 lines', metric: 'commitsPer1000Lines', unit: 'commits', isJobflowOnly: true, targets: [] },
            ],
            run: (side) => (side === 'jobflow' ? jobflowRepeat(n) : rawRepeat(n)),
          },
          env.log,
        ),
      );
    }
    return results;
  } finally {
    for (const s of [...jfClients.sockets, ...rawClients.sockets]) s?.disconnect();
    await rawWorker.stop();
    await rawIo.stop();
    await jf.stop();
  }
}
