import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CreatedTokenDto, RunDto, RunExportLine } from '@jobflow/shared';
import { createClient, type JobflowClient } from '@jobflow/shared/client';
import { jobflow, killJobflowProcesses } from '../cli/run-cli';
import { startStack, type Stack } from '../support/stack';
import { waitFor } from '../support/wait';

// `jobflow` processes take a while to boot on a busy machine.
vi.setConfig({ testTimeout: 120_000 });

let stack: Stack;
let api: JobflowClient;
let dir: string;
let env: Record<string, string>;
let run: RunDto;

const REPORT = 'region,total\nnorth,10\nsouth,20\n';

beforeAll(async () => {
  stack = await startStack();
  dir = await mkdtemp(join(tmpdir(), 'jobflow-artifacts-cli-'));
  const token = (await stack.request<CreatedTokenDto>('POST', '/api/tokens', { token: stack.admin.token, body: { name: 'artifacts' } })).body.token as string;
  api = createClient({ url: stack.baseUrl, token });
  env = { HOME: dir, XDG_CONFIG_HOME: join(dir, 'config'), JOBFLOW_URL: stack.baseUrl, JOBFLOW_TOKEN: token };
  const job = await api.jobs.create({
    name: 'report',
    type: 'shell',
    params: {
      script: `echo building; printf '${REPORT.replace(/\n/g, '\\n')}' > "$JOBFLOW_ARTIFACTS_DIR/report.csv"; printf '<p>ünïcode</p>' > "$JOBFLOW_ARTIFACTS_DIR/rapport é.html"`,
    },
  });
  run = await api.jobs.run(job.id);
  await waitFor(async () => (await api.runs.get(run.id)).status === 'succeeded', 'the report run to succeed');
});
afterAll(async () => {
  await killJobflowProcesses();
  api.close();
  await rm(dir, { recursive: true, force: true });
  await stack.stop();
});

describe('the typed client', () => {
  it('lists artifacts and downloads one as a stream, whole or by range', async () => {
    const list = await api.artifacts.list(run.id);
    expect(list.map((a) => [a.name, a.contentType])).toEqual([
      ['rapport é.html', 'text/html'],
      ['report.csv', 'text/csv'],
    ]);
    const whole = await api.artifacts.download(run.id, 'report.csv');
    expect([whole.size, whole.isPartial, await new Response(whole.body).text()]).toEqual([REPORT.length, false, REPORT]);
    const part = await api.artifacts.download(run.id, 'report.csv', { range: { start: 13, end: 17 } });
    expect([part.isPartial, await new Response(part.body).text()]).toEqual([true, 'north']);
    const html = await api.artifacts.download(run.id, 'rapport é.html');
    expect(await new Response(html.body).text()).toBe('<p>ünïcode</p>');
    await expect(api.artifacts.download(run.id, 'nothing.csv')).rejects.toMatchObject({ code: 'not_found', status: 404 });
  });

  it('reads an export line by line: the run, its lines, its artifacts', async () => {
    const lines: RunExportLine[] = [];
    for await (const line of api.runs.export(run.id)) lines.push(line);
    expect(lines[0]).toMatchObject({ kind: 'run', run: { id: run.id, status: 'succeeded' } });
    expect(lines.filter((l) => l.kind === 'log').map((l) => l.line.text)).toContain('building');
    expect(lines.at(-1)).toMatchObject({ kind: 'artifacts', items: [{ name: 'rapport é.html' }, { name: 'report.csv' }] });
  });
});

describe('jobflow artifacts and jobflow export', () => {
  it('lists a run’s artifacts, and saves them with --download', async () => {
    const listed = await jobflow(['artifacts', run.id], { env });
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^rapport é\.html\t16 B\ttext\/html\t/m);
    expect(listed.stdout).toMatch(/^report\.csv\t31 B\ttext\/csv\t/m);
    const target = join(dir, 'downloads');
    const saved = await jobflow(['artifacts', run.id, '--download', target], { env });
    expect(saved.code).toBe(0);
    expect((await readdir(target)).sort()).toEqual(['rapport é.html', 'report.csv']);
    expect(await readFile(join(target, 'report.csv'), 'utf8')).toBe(REPORT);
    const json = await jobflow(['artifacts', run.id, '--json'], { env });
    expect(
      json.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).name),
    ).toEqual(['rapport é.html', 'report.csv']);
  });

  it('exports a run as NDJSON on stdout', async () => {
    const exported = await jobflow(['export', run.id], { env });
    expect(exported.code).toBe(0);
    const lines = exported.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as RunExportLine);
    expect(lines[0]).toMatchObject({ kind: 'run', run: { id: run.id } });
    expect(lines.filter((l) => l.kind === 'log').length).toBe((lines[0] as { run: RunDto }).run.logCount);
    expect(lines.at(-1)?.kind).toBe('artifacts');
    const missing = await jobflow(['export', '00000000-0000-4000-8000-000000000000'], { env });
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/not_found/);
  });
});
