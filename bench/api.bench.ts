import { measured, sleep, jobflowFor, rawHost, type BenchEnv } from './lib/env';
import { generateApiData } from './lib/fixtures';
import { createHttpClient, field, type HttpClient } from './lib/http';
import { wallMs } from './lib/probe';
import { runCase, type CaseResult, type SideSample } from './lib/runner';
import { latencySummary } from './lib/stats';

const CONNECTIONS = 50;
const PAGE_LINES = 1000;

type Check = (status: number, body: unknown) => string | null;

/**
 * api: p50/p99 of list runs, get run and a log page of 1,000 lines over a
 * large data set, 50 keep-alive connections, open loop at a fixed rate,
 * against the same SQL through bare `pg` behind bare Koa.
 */
export async function apiBench(env: BenchEnv): Promise<CaseResult[]> {
  const runCount = env.isQuick ? 20_000 : 1_000_000;
  const logRuns = env.isQuick ? 40 : 1000;
  const linesPerRun = env.isQuick ? 5000 : 10_000;
  // Open-loop rates this 2-core class of machine serves without queueing (a log page is 1,000 rows and ~130 KB).
  const rates = { list: 200, get: 200, logs: 40 };
  const seconds = env.isQuick ? 1 : 10;
  env.log(`  generating ${runCount.toLocaleString('en-US')} runs and ${(logRuns * linesPerRun).toLocaleString('en-US')} log lines`);
  const data = await generateApiData(env, runCount, logRuns, linesPerRun);
  env.log(`  generated in ${JSON.stringify(data.seconds)} s`);
  const [jf, raw] = await Promise.all([
    jobflowFor(env, { workers: 0 }),
    rawHost<{ url: string }>(env, 'raw-api', { databaseUrl: env.databaseUrl, poolMax: 10 }),
  ]);
  const pick = <T>(xs: T[]) => xs[Math.floor(Math.random() * xs.length)]!;

  /**
   * Sends `rate` requests/s for `seconds` (open loop) over a fresh set of
   * keep-alive connections, opened before the clock starts, and records each
   * latency; every response is checked.
   */
  async function load(http: HttpClient, token: string | undefined, path: () => string, check: Check, rate: number, durationSec: number) {
    await Promise.all(Array.from({ length: CONNECTIONS }, () => http.request('GET', '/healthz').catch(() => {})));
    const n = Math.round(rate * durationSec);
    const latencies = new Float64Array(n);
    const problems: string[] = [];
    const t0 = wallMs() + 10;
    const inFlight: Promise<void>[] = [];
    for (let i = 0; i < n; i++) {
      const wait = t0 + (i * 1000) / rate - wallMs();
      if (wait > 1) await sleep(wait);
      const p = path();
      const start = wallMs();
      inFlight.push(
        http.request('GET', p, { token }).then(
          (res) => {
            latencies[i] = wallMs() - start;
            const problem = check(res.status, res.body);
            if (problem && problems.length < 10) problems.push(`${p}: ${problem}`);
          },
          (e: Error) => {
            latencies[i] = wallMs() - start;
            if (problems.length < 10) problems.push(`${p}: ${e.message}`);
          },
        ),
      );
    }
    await Promise.all(inFlight);
    return { ...latencySummary(latencies), problems, achievedPerSec: (n / (wallMs() - t0)) * 1000 };
  }

  const listPaths = [() => `runs?limit=50`, () => `runs?limit=50&jobId=${pick(data.jobIds)}`, () => `runs?limit=50&status=failed`];
  const endpoints: { id: string; what: string; rate: number; path: () => string; check: Check }[] = [
    {
      id: 'api list runs',
      what: 'GET runs?limit=50, in turn unfiltered, by a random job, by status failed',
      rate: rates.list,
      path: () => pick(listPaths)(),
      check: (s, b) => {
        const items = field(b, 'items') as unknown[] | undefined;
        return s !== 200 ? `status ${s}` : items?.length !== 50 ? `${items?.length} items` : null;
      },
    },
    {
      id: 'api get run',
      what: 'GET runs/:id of a random run among 10,000 sampled',
      rate: rates.get,
      path: () => `runs/${pick(data.sampleRunIds)}`,
      check: (s, b) => (s !== 200 ? `status ${s}` : typeof field(b, 'id') !== 'string' ? 'no id' : null),
    },
    {
      id: 'api log page',
      what: `GET runs/:id/logs?after=<random>&limit=${PAGE_LINES} of a random run with ${linesPerRun.toLocaleString('en-US')} lines`,
      rate: rates.logs,
      path: () => `runs/${pick(data.logRunIds)}/logs?after=${Math.floor(Math.random() * (linesPerRun - PAGE_LINES))}&limit=${PAGE_LINES}`,
      check: (s, b) => {
        if (s !== 200) return `status ${s}`;
        const items = field(b, 'items') as { seq: number }[] | undefined;
        if (items?.length !== PAGE_LINES) return `${items?.length} lines`;
        return items.every((l, i) => i === 0 || l.seq === items[i - 1]!.seq + 1) ? null : 'seq not contiguous';
      },
    },
  ];

  const results: CaseResult[] = [];
  try {
    for (const e of endpoints) {
      const side = async (isJobflow: boolean, isWarmup: boolean): Promise<SideSample> => {
        const http = createHttpClient(isJobflow ? jf.url : raw.info.url, CONNECTIONS);
        const m = await measured(env, isJobflow ? jf.hosts : [raw], () =>
          load(
            http,
            isJobflow ? jf.token : undefined,
            () => (isJobflow ? '/api/' : '/') + e.path(),
            e.check,
            e.rate,
            isWarmup ? Math.min(env.isQuick ? 0.5 : 2, seconds) : seconds,
          ),
        ).finally(() => http.close());
        const serverCpuMs = m.procs[isJobflow ? 'jobflow-server' : 'raw-api']!.stats.cpuMs;
        return {
          metrics: { p50: m.value.p50, p99: m.value.p99, max: m.value.max, perSec: m.value.achievedPerSec, serverCpuMsPerRequest: serverCpuMs / m.value.n },
          verified: [
            `every response 200 with the expected content (${e.id === 'api log page' ? `${PAGE_LINES} contiguous lines` : e.id === 'api list runs' ? '50 items' : 'the run'})`,
          ],
          problems: m.value.problems,
          procs: m.procs,
          ...(isJobflow ? { pg: m.pg } : {}),
        };
      };
      results.push(
        await runCase(
          {
            id: e.id,
            workload: `${e.what}; ${runCount.toLocaleString('en-US')} runs and ${(logRuns * linesPerRun).toLocaleString('en-US')} lines stored; open loop ${e.rate} requests/s for ${seconds} s over ${CONNECTIONS} keep-alive connections; Jobflow with a session token`,
            peer: 'the same SQL through bare pg (pool of 10, as Jobflow) behind bare Koa, no auth',
            warmup: true,
            repeats: env.repeats,
            rows: [
              { label: 'p50', metric: 'p50', unit: 'ms', targets: [] },
              { label: 'server CPU ms per request', metric: 'serverCpuMsPerRequest', unit: 'ms', targets: [] },
              {
                label: 'p99',
                metric: 'p99',
                unit: 'ms',
                targets: [
                  { kind: 'ratio<=', value: 2, text: '≤ 2× raw' },
                  { kind: 'abs<=', value: 20, text: 'under 20 ms' },
                ],
              },
            ],
            run: (s, _r, isWarmup) => side(s === 'jobflow', isWarmup),
          },
          env.log,
        ),
      );
    }
    return results;
  } finally {
    await raw.stop();
    await jf.stop();
  }
}
