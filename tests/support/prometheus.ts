import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireCommand } from './commands';
import { track, untrack } from './leak-check';
import { freePort, until } from './processes';

export interface PrometheusJob {
  name: string;
  /** `host:port` of every process to scrape. */
  targets: string[];
  /** Sent as `Authorization: Bearer <token>`. */
  bearerToken?: string;
}

/** A real Prometheus (Debian's `prometheus`) on a free port, with a generated configuration and storage of its own. */
export interface Prometheus {
  url: string;
  /** An instant query over the HTTP API: every result's labels and value. */
  query(promql: string): Promise<{ metric: Record<string, string>; value: number }[]>;
  stop(): Promise<void>;
}

/** Starts Prometheus scraping `jobs` every `intervalSec` seconds; ready when its /-/ready says so. */
export async function startPrometheus(jobs: PrometheusJob[], intervalSec = 1): Promise<Prometheus> {
  requireCommand('prometheus', 'prometheus');
  const dir = mkdtempSync(join(tmpdir(), 'jobflow-prometheus-'));
  const scrapeConfigs = jobs
    .map((j) =>
      [
        `  - job_name: ${JSON.stringify(j.name)}`,
        ...(j.bearerToken ? ['    authorization:', `      credentials: ${JSON.stringify(j.bearerToken)}`] : []),
        '    static_configs:',
        `      - targets: ${JSON.stringify(j.targets)}`,
      ].join('\n'),
    )
    .join('\n');
  writeFileSync(
    join(dir, 'prometheus.yml'),
    `global:\n  scrape_interval: ${intervalSec}s\n  scrape_timeout: ${intervalSec}s\nscrape_configs:\n${scrapeConfigs}\n`,
  );
  const port = await freePort();
  const child = spawn(
    'prometheus',
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const prometheus: Prometheus = {
    url,
    async query(promql) {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
      const body = (await res.json()) as { status: string; error?: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
      if (body.status !== 'success') throw new Error(`query ${promql} failed: ${body.error}`);
      return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
      untrack(prometheus);
    },
  };
  track(prometheus, `prometheus on ${url}`);
  try {
    await until(async () => (await fetch(`${url}/-/ready`)).ok, `prometheus to be ready\n${output}`, 60_000);
  } catch (e) {
    await prometheus.stop();
    throw e;
  }
  return prometheus;
}
