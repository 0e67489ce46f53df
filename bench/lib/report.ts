import os from 'node:os';
import { execSync } from 'node:child_process';
import type { CaseResult } from './runner';
import { fmt } from './stats';

export function machine() {
  const cpus = os.cpus();
  const version = (cmd: string) => {
    try {
      return execSync(cmd, { stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 })
        .toString()
        .trim();
    } catch {
      return 'unknown';
    }
  };
  return {
    cpu: `${cpus.length} × ${cpus[0]?.model ?? 'unknown'}`,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    postgres: version(`psql -X -A -t -h 127.0.0.1 -U postgres -d postgres -c "show server_version"`),
    redis: version(`redis-cli -h 127.0.0.1 info server`).match(/redis_version:(\S+)/)?.[1] ?? 'unknown',
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const range = (s: { median: number; min: number; max: number }) => `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})`;

/** The results table, one line per figure and peer, in Markdown (readable on a terminal too). */
export function table(results: CaseResult[]): string {
  const head = [
    'bench',
    'figure',
    'peer',
    'Jobflow median (min–max)',
    'peer median (min–max)',
    'Jobflow ÷ peer per repeat: median (min–max)',
    'target',
    'met',
    'delivery',
  ];
  const lines: string[][] = [];
  for (const c of results) {
    for (const r of c.rows) {
      const ratio = r.ratio ? range(r.ratio) : '—';
      const targets = r.targets.map((t) => t.text).join('; ') || '—';
      const met = r.targets.length ? r.targets.map((t) => (t.isMet ? 'yes' : 'NO')).join('; ') : '—';
      const delivery = !c.isVerified ? 'FAILED' : c.peerFailures.length ? `ok, no loss (a peer failed ${c.peerFailures.length}×)` : 'ok, no loss';
      lines.push([c.id, r.label, r.peer ?? '—', range(r.jobflow), r.raw ? range(r.raw) : '—', ratio, targets, met, delivery]);
    }
  }
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const row = (cells: string[]) => `| ${cells.map((c, i) => pad(c, widths[i]!)).join(' | ')} |`;
  return [row(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(row)].join('\n');
}

/** Median CPU, event-loop delay p99 and RSS per process and side. */
export function processTable(results: CaseResult[]): string {
  const out: string[] = ['| bench | side | process | CPU % of a core | event-loop delay p99 ms | RSS max MB |', '|---|---|---|---|---|---|'];
  for (const c of results) {
    for (const side of c.sides) {
      const samples = c.samples.filter((s) => s.side === side && !s.isWarmup).map((s) => s.sample.procs);
      const names = [...new Set(samples.flatMap((p) => Object.keys(p)))];
      for (const name of names) {
        const med = (f: (x: NonNullable<(typeof samples)[0][string]>) => number) => {
          const v = samples
            .map((p) => p[name])
            .filter(Boolean)
            .map((x) => f(x!))
            .sort((a, b) => a - b);
          return v.length ? v[v.length >> 1]! : NaN;
        };
        out.push(
          `| ${c.id} | ${side} | ${name} | ${fmt(med((x) => x.stats.cpuPct))} | ${fmt(med((x) => x.stats.eventLoopDelayP99Ms))} | ${fmt(med((x) => x.stats.rssMaxMb))} |`,
        );
      }
    }
  }
  return out.join('\n');
}
