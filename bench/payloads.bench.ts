import { jobflowFor, type BenchEnv } from './lib/env';
import { CSV_BYTES, largeDataCheckParams } from './lib/fixtures';
import { field } from './lib/http';
import { runCase, type CaseResult, type SideSample } from './lib/runner';
import { connect, connected, subscribe, until } from './lib/sockets';

/** Bytes of an engine.io message as it arrives (its type character and the Socket.IO packet). */
const frameBytes = (data: unknown) => (typeof data === 'string' ? Buffer.byteLength(data, 'utf8') + 1 : (data as ArrayBuffer).byteLength + 1);

/**
 * payloads: what a job's large params cost every dashboard, in bytes: the
 * `run:updated` and `job:updated` messages pushed to the dashboard topic and
 * one item of the runs and jobs list pages, for a data-check job carrying a
 * 0.9 MB inline CSV. Figures only (no target, no peer); the run must still
 * succeed and reach the dashboard with every version.
 */
export async function payloadsBench(env: BenchEnv): Promise<CaseResult[]> {
  const jf = await jobflowFor(env, { concurrency: 10 });
  const dashboard = connect(jf.url, jf.token);
  try {
    await connected(dashboard);
    await subscribe(dashboard, { topic: 'dashboard' });
    const params = largeDataCheckParams();

    /** The largest message of each event pushed to the dashboard, and every version of the run seen. */
    const frames = new Map<string, number>();
    const engine = dashboard.io.engine;
    const onPacket = (packet: { type: string; data?: unknown }) => {
      if (packet.type !== 'message' || packet.data === undefined) return;
      const head = typeof packet.data === 'string' ? packet.data.slice(0, 40) : '';
      const event = /^\d+(?:\/[^,]*,)?\d*\["([^"]+)"/.exec(head)?.[1];
      if (event) frames.set(event, Math.max(frames.get(event) ?? 0, frameBytes(packet.data)));
    };
    engine.on('packet', onPacket);

    async function repeat(): Promise<SideSample> {
      frames.clear();
      const versions = new Map<string, number[]>();
      let finalStatus = '';
      const onRun = (run: { id: string; version: number; status: string }) => {
        versions.set(run.id, [...(versions.get(run.id) ?? []), run.version]);
        if (['succeeded', 'failed', 'cancelled'].includes(run.status)) finalStatus = run.status;
      };
      dashboard.on('run:updated', onRun);
      const problems: string[] = [];
      try {
        const jobId = await jf.createJob({ name: 'bench large params', type: 'data-check', params });
        const res = await jf.http.request('POST', `/api/jobs/${jobId}/runs`, { token: jf.token, body: {} });
        if (res.status !== 201) throw new Error(`POST run failed: ${res.status} ${res.text}`);
        const runId = String(field(res.body, 'id'));
        await until(() => finalStatus !== '', 'the data-check run to end', 120_000, 10);
        if (finalStatus !== 'succeeded') problems.push(`the data-check run ended ${finalStatus}`);
        const seen = versions.get(runId) ?? [];
        const last = Math.max(0, ...seen);
        if (seen.length !== last || [...seen].sort((a, b) => a - b).some((v, i) => v !== i + 1)) {
          problems.push(`dashboard got versions ${seen.join(', ')} of the run, not 1..${last} once each`);
        }
        const runs = await jf.http.request('GET', `/api/runs?jobId=${jobId}&limit=1`, { token: jf.token });
        const jobs = await jf.http.request('GET', `/api/jobs?q=${encodeURIComponent('bench large params')}&limit=1`, { token: jf.token });
        const runItem = (field(runs.body, 'items') as { id: string }[] | undefined)?.[0];
        const jobItem = (field(jobs.body, 'items') as { id: string }[] | undefined)?.find((j) => j.id === jobId);
        if (runItem?.id !== runId) problems.push('the runs list page did not hold the run');
        if (!jobItem) problems.push('the jobs list page did not hold the job');
        for (const event of ['run:updated', 'job:updated']) if (!frames.has(event)) problems.push(`no ${event} reached the dashboard`);
        return {
          metrics: {
            paramsBytes: Buffer.byteLength(JSON.stringify(params)),
            runUpdatedBytes: frames.get('run:updated') ?? NaN,
            jobUpdatedBytes: frames.get('job:updated') ?? NaN,
            runListItemBytes: runItem ? Buffer.byteLength(JSON.stringify(runItem)) : NaN,
            jobListItemBytes: jobItem ? Buffer.byteLength(JSON.stringify(jobItem)) : NaN,
          },
          verified: ['the data-check run succeeded', 'the dashboard got every version of the run once', 'both list pages held the item'],
          problems,
          procs: {},
        };
      } finally {
        dashboard.off('run:updated', onRun);
      }
    }

    const result = await runCase(
      {
        id: 'payloads',
        workload: `a data-check job whose params carry a ${(CSV_BYTES / 1e6).toFixed(1)} MB inline CSV, run once; sizes of what one dashboard receives (largest message of each event on the dashboard topic, engine.io type and Socket.IO packet included) and of one list page item`,
        peer: 'none: figures of Jobflow alone',
        peers: [],
        warmup: false,
        repeats: 1,
        rows: [
          { label: 'job params', metric: 'paramsBytes', unit: 'bytes', isJobflowOnly: true, targets: [] },
          { label: 'run:updated on the dashboard topic', metric: 'runUpdatedBytes', unit: 'bytes', isJobflowOnly: true, targets: [] },
          { label: 'job:updated on the dashboard topic', metric: 'jobUpdatedBytes', unit: 'bytes', isJobflowOnly: true, targets: [] },
          { label: 'runs list page: one item', metric: 'runListItemBytes', unit: 'bytes', isJobflowOnly: true, targets: [] },
          { label: 'jobs list page: one item', metric: 'jobListItemBytes', unit: 'bytes', isJobflowOnly: true, targets: [] },
        ],
        run: () => repeat(),
      },
      env.log,
    );
    engine.off('packet', onPacket);
    return [result];
  } finally {
    dashboard.disconnect();
    await jf.stop();
  }
}
