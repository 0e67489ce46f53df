import { rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { measured, jobflowFor, rawHost, type BenchEnv, type JobflowStack } from './lib/env';
import { LatencyHistogram, type HistogramData } from './lib/histogram';
import { startAll, startHost, type Host, type ProbeReading } from './lib/proc';
import { runCase, type CaseResult, type SideSample, type Target } from './lib/runner';
import { LOG_STAGES, stageBreakdown, type StageTimes } from './lib/stage-trace';
import { checkStoredLines, emitScript, fixtureRuns, goFileName, startShellRuns } from './ingest.bench';

const RATE = 1000;
/**
 * `BENCH_FANOUT_STAGES=1`: with one subscriber, Jobflow's repeats also record
 * when each line passes each stage (worker read, INSERT sent, committed,
 * published, received by the server, written to the socket) and report p50,
 * p99 and the slowest 1 %'s mean per stage. Off by default: the trace costs
 * a little in the worker and the server.
 */
const isStaged = process.env.BENCH_FANOUT_STAGES === '1' || Boolean(process.env.BENCH_FANOUT_STAGES_OUT);
/** `BENCH_FANOUT_STAGES_OUT=<dir>`: the same, and each repeat's times per line land in `<dir>/fanout-stages-*.json`. */
const stagesOut = process.env.BENCH_FANOUT_STAGES_OUT;
/** The stage rows: each stage is the time from the point before it (the line's production for `read`). */
const STAGE_NAMES = [...LOG_STAGES, 'arrived'];

type Collected = { histogram: HistogramData; missing: string[]; dropped: number; times?: { produced: number[]; arrived: number[] } };

/**
 * fanout: delivery latency (line produced → line at a subscriber) for one run
 * writing 1,000 lines/s, with 1 to 500 subscribers, against raw Socket.IO
 * with the same Redis adapter, the same N and rate, one emit per line. The
 * subscribers of both sides live in several load-generator processes
 * (subscriber i in generator i mod G), each reporting a latency histogram
 * and its own event-loop delay, so a reader can tell the generators were not
 * what limited delivery.
 */
export async function fanoutBench(env: BenchEnv): Promise<CaseResult[]> {
  const seconds = env.isQuick ? 1 : 10;
  // BENCH_FANOUT_SIZES=1,20 measures only those subscriber counts (e.g. for the stage breakdown alone).
  const sizes = process.env.BENCH_FANOUT_SIZES ? process.env.BENCH_FANOUT_SIZES.split(',').map(Number) : env.isQuick ? [1, 20, 50] : [1, 20, 50, 100, 500];
  // Two per core, 4 to 8: on a small machine the generators share the cores with the server, and more would only take its share.
  const generatorCount = env.isQuick ? 4 : Math.min(8, Math.max(4, 2 * availableParallelism()));
  const maxN = Math.max(...sizes);
  const total = RATE * seconds;
  const [jf, rawIo, rawWorker, ...gens] = await startAll<[JobflowStack, Host<{ url: string; key: string }>, Host, ...Host[]]>([
    jobflowFor(env, { concurrency: 10 }),
    rawHost<{ url: string; key: string }>(env, 'raw-io', { redisUrl: env.redisUrl, key: `${env.newPrefix('rawio')}:io` }),
    rawHost(env, 'raw-worker', { redisUrl: env.redisUrl, databaseUrl: env.databaseUrl, poolMax: 10 }),
    ...Array.from({ length: generatorCount }, (_, g) => startHost(`generator${g + 1}`, 'subscribers', {})),
  ]);
  const rawKey = rawIo.info.key;
  const jobId = await jf.createJob({ name: 'bench fanout', type: 'shell', params: { script: 'true' } });

  /** The subscriber numbers (1-based) generator `g` holds among the first `n`. */
  const numbersOf = (n: number, g: number) => Array.from({ length: n }, (_, i) => i + 1).filter((i) => (i - 1) % generatorCount === g);
  await Promise.all(
    gens.map(async (h, g) => {
      const count = numbersOf(maxN, g).length;
      await h.call('open', { side: 'jobflow', url: jf.url, token: jf.token, count });
      await h.call('open', { side: 'raw', url: rawIo.info.url, count });
    }),
  );

  /** Subscribes the first `n` subscribers of a side; resolves with the generators in use and every refusal. */
  async function arm(side: string, n: number, runId: string, payload: Record<string, unknown>) {
    const active = gens.map((h, g) => ({ h, numbers: numbersOf(n, g) })).filter((a) => a.numbers.length > 0);
    const refused = (await Promise.all(active.map((a) => a.h.call<string[]>('arm', { side, runId, numbers: a.numbers, total, payload })))).flat();
    return { active, refused };
  }

  /** Waits for every subscriber's last line (what never came is reported), merging the generators' histograms. */
  async function collect(active: { h: Host }[], withTimes = false) {
    const parts = await Promise.all(
      active.map((a, i) => a.h.call<Collected>('collect', { timeoutMs: seconds * 1000 + 120_000, withTimes: withTimes && i === 0 })),
    );
    const histogram = new LatencyHistogram();
    for (const p of parts) histogram.merge(p.histogram);
    return {
      p50: histogram.percentile(50),
      p99: histogram.percentile(99),
      max: histogram.percentile(100),
      missing: parts.flatMap((p) => p.missing),
      incomplete: parts.reduce((sum, p) => sum + (p.missing.length ? 1 : 0), 0),
      dropped: parts.reduce((sum, p) => sum + p.dropped, 0),
      times: parts[0]?.times,
    };
  }

  /** Per stage p50, p99 and the slowest 1 %'s mean, as metrics (`stage:<name>:p50` ...), from the hosts' traces and subscriber 1's times. */
  function stageMetrics(traces: StageTimes[], times: { produced: number[]; arrived: number[] }): Record<string, number> {
    const merged: StageTimes = {};
    for (const t of traces) for (const [stage, at] of Object.entries(t) as [keyof StageTimes, number[]][]) merged[stage] ??= at;
    const b = stageBreakdown(times.produced, merged, times.arrived);
    if (stagesOut)
      writeFileSync(`${stagesOut}/fanout-stages-${Date.now()}.json`, JSON.stringify({ produced: times.produced, ...merged, arrived: times.arrived }));
    const metrics: Record<string, number> = { 'stage:lines': b.lines, 'stage:total:p50': b.total.p50, 'stage:total:p99': b.total.p99 };
    for (const f of b.stages) {
      metrics[`stage:${f.stage}:p50`] = f.p50;
      metrics[`stage:${f.stage}:p99`] = f.p99;
      metrics[`stage:${f.stage}:tail`] = f.tailMean;
    }
    return metrics;
  }

  /** The worst event-loop delay p99 among the generators that held subscribers. */
  const generatorDelay = (procs: Record<string, ProbeReading>, active: { h: Host }[]) =>
    Math.max(...active.map((a) => procs[a.h.name]?.stats.eventLoopDelayP99Ms ?? NaN));

  async function jobflowRepeat(n: number): Promise<SideSample> {
    const goFile = goFileName();
    const [id] = await startShellRuns(env, jf, jobId, 1, emitScript(total, RATE, goFile));
    const topic = { topic: 'run', runId: id };
    const { active, refused } = await arm('jobflow', n, id!, topic);
    const isTraced = isStaged && n === 1;
    if (isTraced) await Promise.all(jf.hosts.map((h) => h.call('trace:start', { runId: id, total })));
    const m = await measured(env, [...jf.hosts, ...gens], async () => {
      writeFileSync(goFile, '');
      return collect(active, isTraced);
    });
    const traces = isTraced ? await Promise.all(jf.hosts.map((h) => h.call<StageTimes>('trace:take'))) : [];
    rmSync(goFile, { force: true });
    await Promise.all(active.map((a) => a.h.call('unsubscribe', { side: 'jobflow', count: a.numbers.length, payload: topic })));
    const problems = [
      ...refused.slice(0, 5),
      ...(m.value.dropped ? [`${m.value.dropped} subscribers disconnected by the server (too slow to keep up)`] : []),
      ...m.value.missing.slice(0, 10),
      ...(await checkStoredLines(env, [id!], total)),
    ];
    return {
      metrics: {
        p50: m.value.p50,
        p99: m.value.p99,
        max: m.value.max,
        commitsPer1000Lines: (m.pg.commits / total) * 1000,
        generatorLoopDelayP99Ms: generatorDelay(m.procs, active),
        ...(isTraced && m.value.times ? stageMetrics(traces, m.value.times) : {}),
      },
      verified: [`each of ${n} subscribers got seq 1..${total} once, in order`, 'PostgreSQL holds every line'],
      problems,
      procs: m.procs,
      pg: m.pg,
    };
  }

  async function rawRepeat(n: number): Promise<SideSample> {
    const [id] = await fixtureRuns(env, jobId, 1, 0);
    const { active, refused } = await arm('raw', n, id!, { room: `run:${id}` });
    const m = await measured(env, [rawWorker, rawIo, ...gens], async () => {
      await rawWorker.call('io:paced', { key: rawKey, runId: id, count: total, rate: RATE });
      return collect(active);
    });
    const { incomplete, dropped, missing } = m.value;
    return {
      metrics: { p50: m.value.p50, p99: m.value.p99, max: m.value.max, generatorLoopDelayP99Ms: generatorDelay(m.procs, active) },
      verified: [`each of ${n} raw clients got seq 1..${total} once, in order`],
      problems: [],
      peerFailure:
        missing.length || refused.length
          ? `raw clients did not get every line (${incomplete} generator(s) with gaps, ${dropped} disconnections, ${refused.length} failed subscriptions), e.g. ${[...refused, ...missing].slice(0, 3).join('; ')}`
          : undefined,
      procs: m.procs,
    };
  }

  const results: CaseResult[] = [];
  try {
    for (const n of sizes) {
      const p99Targets: Target[] =
        n >= 500 ? [{ kind: 'abs<=', value: 1000, text: 'every line, p99 under 1 s' }] : [{ kind: 'ratio<=', value: 1.5, text: '≤ 1.5× raw' }];
      const used = Math.min(n, generatorCount);
      results.push(
        await runCase(
          {
            id: `fanout ${n}`,
            workload: `one shell run writing ${RATE.toLocaleString('en-US')} lines/s for ${seconds} s (lines carry their production time), ${n} subscriber(s) of the run, held by ${used} load-generator process(es)`,
            peer: 'raw Socket.IO server with the same Redis adapter; raw emitter, one emit per line as it is produced, same N and rate, subscribers held the same way',
            warmup: true,
            repeats: env.repeats,
            rows: [
              { label: 'delivery p50', metric: 'p50', unit: 'ms', targets: [] },
              { label: 'delivery p99', metric: 'p99', unit: 'ms', targets: p99Targets },
              { label: 'PG commits per 1,000 lines', metric: 'commitsPer1000Lines', unit: 'commits', isJobflowOnly: true, targets: [] },
              { label: 'load generators: event-loop delay p99 (worst)', metric: 'generatorLoopDelayP99Ms', unit: 'ms', targets: [] },
              ...(isStaged && n === 1
                ? [
                    { label: 'stages: lines traced', metric: 'stage:lines', unit: 'lines', isJobflowOnly: true, targets: [] },
                    { label: 'stages: whole delivery p50', metric: 'stage:total:p50', unit: 'ms', isJobflowOnly: true, targets: [] },
                    { label: 'stages: whole delivery p99', metric: 'stage:total:p99', unit: 'ms', isJobflowOnly: true, targets: [] },
                    ...STAGE_NAMES.flatMap((stage) =>
                      (['p50', 'p99', 'tail'] as const).map((k) => ({
                        label: `stage ${stage}: ${k === 'tail' ? 'mean of the slowest 1 %' : k}`,
                        metric: `stage:${stage}:${k}`,
                        unit: 'ms',
                        isJobflowOnly: true,
                        targets: [],
                      })),
                    ),
                  ]
                : []),
            ],
            run: (side) => (side === 'jobflow' ? jobflowRepeat(n) : rawRepeat(n)),
          },
          env.log,
        ),
      );
    }
    return results;
  } finally {
    for (const g of gens) await g.stop();
    await rawWorker.stop();
    await rawIo.stop();
    await jf.stop();
  }
}
