import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ArtifactListDto, CreatedTokenDto, RunSummaryDto } from '@jobflow/shared';
import { REPO_ROOT } from '../support/processes';
import { startStack, type Stack } from '../support/stack';

vi.setConfig({ testTimeout: 180_000 });

const SCRIPT = join(REPO_ROOT, 'examples/sales-report/sales-report.sh');

let stack: Stack;
let dir: string;
let env: Record<string, string>;
let dataServer: Server;

beforeAll(async () => {
  stack = await startStack();
  dir = await mkdtemp(join(tmpdir(), 'jobflow-sales-report-'));
  const token = (await stack.request<CreatedTokenDto>('POST', '/api/tokens', { token: stack.admin.token, body: { name: 'sales report' } })).body.token;
  env = { PATH: process.env.PATH ?? '', HOME: dir, XDG_CONFIG_HOME: join(dir, 'config'), JOBFLOW_URL: stack.baseUrl, JOBFLOW_TOKEN: token };
  dataServer = createServer((req, res) => {
    if (req.url === '/sales.csv') res.writeHead(200, { 'content-type': 'text/csv' }).end(TRICKY_DATA);
    else res.writeHead(404).end();
  });
  dataServer.listen(0, '127.0.0.1');
  await once(dataServer, 'listening');
});
afterAll(async () => {
  dataServer?.close();
  await rm(dir, { recursive: true, force: true });
  await stack?.stop();
});

/** Runs the example to its end; its exit code and output. */
async function salesReport(args: string[], extraEnv: Record<string, string> = {}) {
  const child = spawn(SCRIPT, args, { cwd: dir, env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}

/** The newest run of the job named `name`, and the artifacts it attached. */
async function lastRunOf(name: string) {
  const runs = await stack.request<{ items: RunSummaryDto[] }>('GET', `/api/runs?q=${encodeURIComponent(name)}&limit=1`, { token: stack.admin.token });
  const run = runs.body.items[0]!;
  const artifacts = await stack.request<ArtifactListDto>('GET', `/api/runs/${run.id}/artifacts`, { token: stack.admin.token });
  return { run, artifacts: artifacts.body.items.map((a) => [a.name, a.contentType]) };
}

/** Sales that exercise quoting, HTML escaping, column order, a BOM, CRLF line ends and rows to skip. */
const TRICKY_DATA = [
  '\uFEFFregion,date,units,product,unit_price,note',
  'North,2026-02-01,3,"Gizmo, large",10.00,first',
  'South,2026-02-03,2,"<b>Bold</b> ""Pro""",2.5,',
  'North,2026-01-15,1,Widget,0.99,',
  'South,2026-03-01,x,Widget,1.00,units are not a number',
  'East,02/03/2026,1,Widget,1.00,a date in another form',
  'East,2026-03-02,4,Widget,1.005,a price with three decimals',
  'East,2026-03-09,0,Widget,4.00,',
].join('\r\n');

describe('examples/sales-report', () => {
  it('defines the job, runs it on a data file and downloads the CSV and HTML report the run attached', async () => {
    const data = join(dir, 'tricky.csv');
    await writeFile(data, TRICKY_DATA);
    const out = join(dir, 'out');

    const { code, stdout, stderr } = await salesReport([data, out], { JOB_NAME: 'tricky sales' });

    expect(code, stderr).toBe(0);
    expect(stderr).toContain('report: defined the job "tricky sales"');
    // The run's log, streamed by `jobflow logs --follow`: the totals, and the rows skipped on stderr.
    expect(stdout).toMatch(
      /^4 sales from 2026-01-15 to 2026-03-09, 3 rows skipped\nNorth: 30\.99 \(86\.1 %\)\nSouth: 5\.00 \(13\.9 %\)\nEast: 0\.00 \(0\.0 %\)\ntotal: 35\.99\n/,
    );
    // Then the worker's word on the files left behind, and nothing more: the file list goes to stderr.
    expect(stdout.split('\n').slice(5)).toEqual([
      'attached artifact "sales-report.csv" (123 bytes)',
      expect.stringMatching(/^attached artifact "sales-report.html" \(\d+ bytes\)$/),
      '',
    ]);
    expect(stderr).toContain('line 5: skipped: units "x" is not a whole number');
    expect(stderr).toContain('line 6: skipped: date "02/03/2026" is not YYYY-MM-DD');
    expect(stderr).toContain('line 7: skipped: unit_price "1.005" is not a price');
    expect(stderr).toContain(`saved ${join(out, 'sales-report.html')}`);

    expect((await readdir(out)).sort()).toEqual(['sales-report.csv', 'sales-report.html']);
    expect(await readFile(join(out, 'sales-report.csv'), 'utf8')).toBe(
      ['region,orders,units,revenue,share_percent', 'North,2,4,30.99,86.1', 'South,1,2,5.00,13.9', 'East,1,0,0.00,0.0', 'TOTAL,4,6,35.99,100.0', ''].join('\n'),
    );
    const page = await readFile(join(out, 'sales-report.html'), 'utf8');
    expect(page).toMatch(/^<!doctype html>/);
    expect(page).toContain('<title>Sales report, 2026-01-15 to 2026-03-09</title>');
    expect(page).toContain('2026-01-15 to 2026-03-09: 4 orders, 6 units, revenue <strong>35.99</strong> (3 rows skipped).');
    expect(page).toContain('<tr><td>Gizmo, large</td><td class="n">1</td><td class="n">3</td><td class="n">30.00</td></tr>');
    // Text from the data is escaped: the product's markup shows as text, it never becomes markup.
    expect(page).toContain('<td>&lt;b&gt;Bold&lt;/b&gt; &quot;Pro&quot;</td>');
    expect(page).not.toContain('<b>Bold</b>');
    expect(page).toContain('<tr><td>2026-01</td><td class="n">1</td><td class="n">1</td><td class="n">0.99</td></tr>');
    expect(page).not.toMatch(/<script|<link|src=/i);

    const { run, artifacts } = await lastRunOf('tricky sales');
    expect(run.status).toBe('succeeded');
    expect(artifacts).toEqual([
      ['sales-report.csv', 'text/csv'],
      ['sales-report.html', 'text/html'],
    ]);
  });

  it('reruns the defined job on the sample data, and on data read from a URL', async () => {
    const sample = await salesReport([join(REPO_ROOT, 'examples/sales-report/sales.csv'), join(dir, 'sample')]);
    expect(sample.code, sample.stderr).toBe(0);
    const csv = (await readFile(join(dir, 'sample/sales-report.csv'), 'utf8')).trimEnd().split('\n');
    expect(csv[0]).toBe('region,orders,units,revenue,share_percent');
    expect(
      csv
        .slice(1, -1)
        .map((row) => row.split(',')[0])
        .sort(),
    ).toEqual(['East', 'North', 'South', 'West']);
    expect(csv.at(-1)).toMatch(/^TOTAL,60,\d+,\d+\.\d\d,100\.0$/);
    // The region rows add up to the total.
    const cents = (row: string) => Math.round(Number(row.split(',')[3]) * 100);
    expect(csv.slice(1, -1).reduce((sum, row) => sum + cents(row), 0)).toBe(cents(csv.at(-1)!));

    const url = `http://127.0.0.1:${(dataServer.address() as AddressInfo).port}/sales.csv`;
    const fromUrl = await salesReport([url, join(dir, 'from-url')]);
    expect(fromUrl.code, fromUrl.stderr).toBe(0);
    // The job was defined by the first call: this one only ran it.
    expect(fromUrl.stderr).not.toContain('defined the job');
    expect(await readFile(join(dir, 'from-url/sales-report.csv'), 'utf8')).toContain('TOTAL,4,6,35.99,100.0\n');
  });

  it('a data file it cannot read fails the run, and nothing is downloaded', async () => {
    const failed = await salesReport([join(dir, 'missing.csv'), join(dir, 'none')]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('ENOENT');
    expect(failed.stderr).toMatch(/report: run \S+ did not succeed/);
    await expect(readdir(join(dir, 'none'))).rejects.toThrow(/ENOENT/);
  });
});
