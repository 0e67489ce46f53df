import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, test } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'jobflow-bench-smoke-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Report {
  isVerified: boolean;
  results: { id: string; isVerified: boolean; problems: string[]; rows: { jobflow: { median: number }; raw: { median: number } | null }[] }[];
}

/**
 * The benchmark harness in quick mode, as CI runs it: every benchmark must
 * complete and verify delivery with no loss. Speed is not asserted here.
 */
test(
  'the quick benchmark suite runs every benchmark and loses nothing',
  async () => {
    const out = join(dir, 'quick.json');
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--quick', '--out', out], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code, output.slice(-4000)).toBe(0);
    const report = JSON.parse(readFileSync(out, 'utf8')) as Report;
    expect(report.results.map((r) => r.id.split(' ')[0])).toEqual(expect.arrayContaining(['runs', 'latency', 'ingest', 'fanout', 'sockets', 'api', 'resync']));
    for (const r of report.results) {
      expect(r.problems, `${r.id} lost or broke something`).toEqual([]);
      expect(r.isVerified).toBe(true);
      for (const row of r.rows) {
        expect(Number.isFinite(row.jobflow.median), `${r.id}: a Jobflow figure`).toBe(true);
        if (row.raw) expect(Number.isFinite(row.raw.median), `${r.id}: a raw figure`).toBe(true);
      }
    }
    expect(report.isVerified).toBe(true);
  },
  6 * 60_000,
);
