import { measured, jobflowFor, rawHost, type BenchEnv } from './lib/env';
import { generateLoggedRun } from './lib/fixtures';
import { wallMs } from './lib/probe';
import { runCase, type CaseResult } from './lib/runner';
import { SeqCheck, connect, connected, subscribe, until } from './lib/sockets';

/**
 * resync: time for a subscriber joining with `afterSeq: 0` to hold all
 * 100,000 missed lines of a run, against a raw indexed read of the same rows.
 */
export async function resyncBench(env: BenchEnv): Promise<CaseResult[]> {
  const lines = env.isQuick ? 10_000 : 100_000;
  const [jf, rawWorker] = await Promise.all([
    jobflowFor(env, { workers: 0 }),
    rawHost(env, 'raw-worker', { redisUrl: env.redisUrl, databaseUrl: env.databaseUrl, poolMax: 10 }),
  ]);
  const jobId = await jf.createJob({ name: 'bench resync', type: 'sleep', params: { seconds: 0 } });
  const runId = await generateLoggedRun(env, jobId, lines);
  const socket = connect(jf.url, jf.token);
  await connected(socket);
  let check = new SeqCheck(lines);
  socket.on('run:log', (msg: { runId: string; lines: { seq: number }[] }) => {
    const now = wallMs();
    for (const l of msg.lines) check.add(l.seq, now);
  });
  try {
    const result = await runCase(
      {
        id: 'resync',
        workload: `a subscriber joins a run with afterSeq 0 and ${lines.toLocaleString('en-US')} stored lines; timed from subscribe to the last line received`,
        peer: 'raw indexed read of the same rows (one SELECT ... WHERE run_id = $1 AND seq > $2 ORDER BY seq through bare pg)',
        warmup: true,
        repeats: env.repeats,
        rows: [{ label: 'catch-up time', metric: 'ms', unit: 'ms', targets: [{ kind: 'ratio<=', value: 2, text: '≤ 2× raw' }] }],
        async run(side) {
          if (side === 'jobflow') {
            check = new SeqCheck(lines);
            const m = await measured(env, jf.hosts, async () => {
              const t0 = wallMs();
              await subscribe(socket, { topic: 'run', runId, afterSeq: 0 });
              await until(() => check.isComplete, `${lines} lines`, 120_000, 1);
              return check.lastAtMs - t0;
            });
            await new Promise((r) => socket.emit('unsubscribe', { topic: 'run', runId }, r));
            return {
              metrics: { ms: m.value },
              verified: ['subscriber got seq 1..N once, in order'],
              problems: check.problems('subscriber'),
              procs: m.procs,
              pg: m.pg,
            };
          }
          const m = await measured(env, [rawWorker], () => rawWorker.call<{ ms: number; rows: number; gaps: number }>('pg:read', { runId, afterSeq: 0 }));
          const problems = m.value.rows !== lines || m.value.gaps ? [`raw read ${m.value.rows} rows with ${m.value.gaps} gaps`] : [];
          return { metrics: { ms: m.value.ms }, verified: ['raw read returned seq 1..N'], problems, procs: m.procs };
        },
      },
      env.log,
    );
    return [result];
  } finally {
    socket.disconnect();
    await rawWorker.stop();
    await jf.stop();
  }
}
