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
  const jfSockets: BenchSocket[] = [];
  const rawSockets: BenchSocket[] = [];
  /** Raw clients the raw server dropped (a load it cannot carry: its ping replies come too late). */
  let rawDisconnects = 0;
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

  /** A connected raw client in slot `i` (one the raw server dropped in an earlier repeat is replaced). */
  async function rawClient(i: number): Promise<BenchSocket> {
    const old = rawSockets[i];
    if (old?.connected) return old;
    old?.close();
    const b = connect(rawIo.info.url);
    await connected(b);
    listen(b, i);
    b.on('disconnect', () => rawDisconnects++);
    return (rawSockets[i] = b);
  }

  await pool(maxN, 50, async (i) => {
    const a = connect(jf.url, jf.token);
    await Promise.all([connected(a), rawClient(i)]);
    listen(a, i);
    jfSockets[i] = a;
  });

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
    await pool(n, 50, (i) => subscribe(jfSockets[i]!, { topic: 'run', runId: id }));
    const m = await measured(env, jf.hosts, async () => {
      writeFileSync(goFile, '');
      return collect();
    });
    rmSync(goFile, { force: true });
    await pool(n, 50, (i) => new Promise((r) => jfSockets[i]!.emit('unsubscribe', { topic: 'run', runId: id }, r)));
    const problems = [...checks.flatMap((c, i) => c.problems(`subscriber ${i + 1}`)).slice(0, 10), ...(await checkStoredLines(env, [id!], total))];
    return {
      metrics: { p50: m.value.p50, p99: m.value.p99, max: m.value.max, commitsPer1000Lines: (m.pg.commits / total) * 1000 },
      verified: [`each of ${n} subscribers got seq 1..${total} once, in order`, 'PostgreSQL holds every line'],
      problems,
      procs: m.procs,
      pg: m.pg,
    };
  }

  async function rawRepeat(n: number): Promise<SideSample> {
    const disconnectsBefore = rawDisconnects;
    const [id] = await fixtureRuns(env, jobId, 1, 0);
    reset(id!, n);
    await pool(n, 50, async (i) => subscribe(await rawClient(i), { room: `run:${id}` }));
    const m = await measured(env, [rawWorker, rawIo], async () => {
      await rawWorker.call('io:paced', { key: rawKey, runId: id, count: total, rate: RATE });
      return collect();
    });
    const lost = checks.map((c, i) => c.problems(`raw client ${i + 1}`)).filter((p) => p.length);
    const dropped = rawDisconnects - disconnectsBefore;
    return {
      metrics: { p50: m.value.p50, p99: m.value.p99, max: m.value.max },
      verified: [`each of ${n} raw clients got seq 1..${total} once, in order`],
      problems: [],
      peerFailure: lost.length
        ? `${lost.length} of ${n} raw clients did not get every line (${dropped} disconnections meanwhile), e.g. ${lost.flat().slice(0, 3).join('; ')}`
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
    for (const s of [...jfSockets, ...rawSockets]) s?.disconnect();
    await rawWorker.stop();
    await rawIo.stop();
    await jf.stop();
  }
}
