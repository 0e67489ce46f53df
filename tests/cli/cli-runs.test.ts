import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CreatedTokenDto, JobDto, LogLineDto, RunDto } from '@jobflow/shared';
import { createClient, type JobflowClient } from '@jobflow/shared/client';
import { startStack, type Stack } from '../support/stack';
import { jobflow, killJobflowProcesses, startJobflow } from './run-cli';

// Each test starts several `jobflow` processes; on a busy machine they take a while to boot.
vi.setConfig({ testTimeout: 180_000 });

let stack: Stack;
let api: JobflowClient;
let dir: string;
let env: Record<string, string>;

beforeAll(async () => {
  stack = await startStack();
  dir = await mkdtemp(join(tmpdir(), 'jobflow-cli-'));
  const token = (await stack.request<CreatedTokenDto>('POST', '/api/tokens', { token: stack.admin.token, body: { name: 'cli tests' } })).body.token as string;
  api = createClient({ url: stack.baseUrl, token });
  // Nothing from the developer's own environment or config reaches the command.
  env = { HOME: dir, XDG_CONFIG_HOME: join(dir, 'config'), JOBFLOW_URL: stack.baseUrl, JOBFLOW_TOKEN: token };
});
afterAll(async () => {
  await killJobflowProcesses();
  api.close();
  await rm(dir, { recursive: true, force: true });
  await stack.stop();
});

const shellJob = (name: string, script: string) => api.jobs.create({ name, type: 'shell', params: { script } });

async function untilFinal(runId: string): Promise<RunDto> {
  const follow = api.followRun(runId);
  for await (const _ of follow) {
    // the iterator ends when the run is final
  }
  return follow.run!;
}

/** A line of `--json` output: an event, with what its `type` carries, as the test expects it. */
interface JsonEvent {
  type: string;
  line: LogLineDto;
  run: RunDto;
  job: JobDto;
}

const parseLines = <T = JsonEvent>(text: string) =>
  text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as T);

describe('jobflow run --follow', () => {
  it("exits 0 when the run succeeds, with the run's stdout on stdout and its stderr on stderr", async () => {
    await shellJob('cli ok', 'echo "out 1"; echo "err 1" >&2; echo "out 2"');
    const result = await jobflow(['run', 'cli ok', '--follow'], { env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('out 1\nout 2\n');
    expect(result.stderr).toContain('err 1\n');
    expect(result.stderr).toMatch(/run \S+ of cli ok succeeded/);
    // Piped output is plain.
    expect(result.stdout + result.stderr).not.toContain('\u001b[');
  });

  it('exits 1 when the run fails, with the system line on stderr, marked', async () => {
    const job = await shellJob('cli fails', 'echo "before"; exit 3');
    const result = await jobflow(['run', job.id, '--follow'], { env });
    expect(result.code, result.stderr).toBe(1);
    expect(result.stdout).toBe('before\n');
    expect(result.stderr).toMatch(/^\[system\] failed after 1 of 1 attempts: handler_error: the script exited with code 3$/m);
    expect(result.stderr).toMatch(/failed: handler_error/);
  });

  it('exits 130 when the run is cancelled while followed', async () => {
    const job = await shellJob('cli cancelled', 'echo "started"; sleep 60; echo "never"');
    const follower = startJobflow(['run', job.id, '--follow'], { env });
    await follower.stdoutLine((line) => line === 'started', 'the run to start');
    const [run] = (await api.runs.list({ jobId: job.id })).items;
    await api.runs.cancel(run!.id);
    const result = await follower.result;
    expect(result.code, result.stderr).toBe(130);
    expect(result.stdout).toBe('started\n');
    expect(result.stderr).toMatch(/cancelled/);
  });

  it('with --json, prints every event as one JSON object per line', async () => {
    const job = await shellJob('cli json', 'for i in 1 2 3; do echo "n $i"; done');
    const result = await jobflow(['run', job.id, '--follow', '--json'], { env });
    expect(result.code, result.stderr).toBe(0);
    const events = parseLines(result.stdout);
    const logs = events.filter((e) => e.type === 'log').map((e) => e.line);
    expect(logs.map((l) => [l.seq, l.stream, l.text])).toEqual([
      [1, 'stdout', 'n 1'],
      [2, 'stdout', 'n 2'],
      [3, 'stdout', 'n 3'],
    ]);
    const runs = events.filter((e) => e.type === 'run').map((e) => e.run as RunDto);
    expect(runs.at(-1)).toMatchObject({ jobId: job.id, status: 'succeeded', logCount: 3 });
    expect(runs.map((r) => r.version)).toEqual([...runs.map((r) => r.version)].sort((a, b) => a - b));
  });

  it('without --follow prints the run id, which logs, rerun and cancel take', async () => {
    const job = await shellJob('cli later', 'echo "one"; echo "two" >&2; echo "three"');
    const started = await jobflow(['run', job.id], { env });
    expect(started.code, started.stderr).toBe(0);
    const runId = started.stdout.trim();
    expect(runId).toMatch(/^[0-9a-f-]{36}$/);
    await untilFinal(runId);

    const logs = await jobflow(['logs', runId], { env });
    expect(logs).toMatchObject({ code: 0, stdout: 'one\nthree\n' });
    expect(logs.stderr).toBe('two\n');
    // stdout and stderr are separate pipes, so "two" and "three" may be stored in either order.
    const tail = parseLines<LogLineDto>((await jobflow(['logs', runId, '--after', '1', '--json'], { env })).stdout);
    expect(tail.map((l) => l.seq)).toEqual([2, 3]);
    expect(tail.map((l) => `${l.stream}:${l.text}`).sort()).toEqual(['stderr:two', 'stdout:three']);
    const followedLater = await jobflow(['logs', runId, '--follow'], { env });
    expect(followedLater).toMatchObject({ code: 0, stdout: 'one\nthree\n' });

    const rerun = await jobflow(['rerun', runId, '--follow', '--quiet'], { env });
    expect(rerun).toMatchObject({ code: 0, stdout: 'one\nthree\n', stderr: 'two\n' });
    const runs = (await api.runs.list({ jobId: job.id })).items;
    expect(runs[0]).toMatchObject({ trigger: { kind: 'rerun', rerunOf: runId } });

    const tooLate = await jobflow(['cancel', runId], { env });
    expect(tooLate.code).toBe(3);
    expect(tooLate.stderr).toMatch(/conflict: The run is already succeeded/);
  });
});

describe('jobflow run --idempotency-key', () => {
  it('a retried start with the same key prints the same run and starts no other; rerun too', async () => {
    const job = await shellJob('cli once', 'true');
    const key = `cli-${Date.now()}`;
    const first = await jobflow(['run', job.id, '--idempotency-key', key], { env });
    const retry = await jobflow(['run', job.id, '--idempotency-key', key], { env });
    expect(first.code).toBe(0);
    expect(retry.stdout).toBe(first.stdout);
    expect((await api.runs.list({ jobId: job.id })).items.map((r) => r.id)).toEqual([first.stdout.trim()]);
    const rerun = await jobflow(['rerun', first.stdout.trim(), '--idempotency-key', `${key}-rerun`], { env });
    const rerunAgain = await jobflow(['rerun', first.stdout.trim(), '--idempotency-key', `${key}-rerun`], { env });
    expect(rerunAgain.stdout).toBe(rerun.stdout);
    expect((await api.runs.list({ jobId: job.id })).items).toHaveLength(2);
  });
});

describe('jobflow job create and run --param', () => {
  it('reads values as JSON when they parse, nests dotted keys, and keeps text where the type wants text', async () => {
    const created = await jobflow(
      [
        'job',
        'create',
        '--type',
        'shell',
        '--name',
        'cli greet',
        '--param',
        'script=echo "$GREETING, $WHO ($PORT)"',
        '--param',
        'env.GREETING=hello',
        '--param',
        'env.WHO=world',
        '--param',
        'env.PORT=8080',
        '--json',
      ],
      { env },
    );
    expect(created.code, created.stderr).toBe(0);
    const job = JSON.parse(created.stdout) as JobDto;
    // Environment values are secrets: shown masked, kept when a run overrides another one.
    expect(job.params).toEqual({ script: 'echo "$GREETING, $WHO ($PORT)"', env: { GREETING: '****', WHO: '****', PORT: '****' } });

    const nap = await jobflow(['job', 'create', '--type', 'sleep', '--name', 'cli nap', '--param', 'seconds=0', '--param', 'fail=true'], { env });
    expect(nap.code, nap.stderr).toBe(0);
    expect((await api.jobs.get(nap.stdout.trim())).params).toEqual({ seconds: 0, fail: true });
    expect((await jobflow(['run', 'cli nap', '--follow'], { env })).code).toBe(1);

    expect(await jobflow(['run', 'cli greet', '--follow'], { env })).toMatchObject({ code: 0, stdout: 'hello, world (8080)\n' });
    // One overridden key; the job's other params stay.
    expect(await jobflow(['run', 'cli greet', '--param', 'env.WHO=there', '--follow'], { env })).toMatchObject({ code: 0, stdout: 'hello, there (8080)\n' });
    expect((await api.jobs.get(job.id)).params).toEqual(job.params);
  });

  it('takes params from a file, with --param laid over them', async () => {
    const file = join(dir, 'params.json');
    // Short values: environment values are secrets, and printed ones of 8 characters or more are masked in the log.
    await writeFile(file, JSON.stringify({ script: 'echo "$A-$B"', env: { A: 'file', B: 'file' } }));
    const created = await jobflow(['job', 'create', '--type', 'shell', '--name', 'cli filed', '--params-file', file, '--param', 'env.B=flag'], { env });
    expect(created.code, created.stderr).toBe(0);
    expect(await jobflow(['run', created.stdout.trim(), '--follow', '--quiet'], { env })).toMatchObject({
      code: 0,
      stdout: 'file-flag\n',
      stderr: '',
    });
  });

  it("reports the server's validation errors with their paths, exit 3", async () => {
    const result = await jobflow(['job', 'create', '--type', 'sleep', '--name', 'cli bad', '--param', 'seconds=soon'], { env });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/validation_failed/);
    expect(result.stderr).toMatch(/\/params\/seconds: /);
    expect(result.stdout).toBe('');
  });
});

describe('jobflow watch --json', () => {
  it('prints every event as one JSON object per line, until interrupted', async () => {
    const watcher = startJobflow(['watch', '--json'], { env });
    await watcher.stderrText('watching');
    const job = await api.jobs.create({ name: 'cli watched', type: 'sleep', params: { seconds: 0 } });
    const run = await api.jobs.run(job.id);
    await watcher.stdoutLine((line) => {
      const event = JSON.parse(line);
      return event.type === 'run:updated' && event.run.id === run.id && event.run.status === 'succeeded';
    }, 'the run to succeed');
    watcher.child.kill('SIGINT');
    const result = await watcher.result;
    expect(result.code, result.stderr).toBe(0);

    const events = parseLines(result.stdout);
    expect(events.every((e) => typeof e.type === 'string')).toBe(true);
    expect(events.find((e) => e.type === 'job:updated' && e.job.id === job.id)?.job.name).toBe('cli watched');
    const updates = events.filter((e) => e.type === 'run:updated' && e.run.id === run.id).map((e) => e.run as RunDto);
    expect(updates.map((r) => r.status)).toEqual(['queued', 'running', 'succeeded']);
    expect(updates.map((r) => r.version)).toEqual([...updates.map((r) => r.version)].sort((a, b) => a - b));
  });

  it("with --job, prints only that job's events", async () => {
    const mine = await api.jobs.create({ name: 'cli watched mine', type: 'sleep', params: { seconds: 0 } });
    const other = await api.jobs.create({ name: 'cli watched other', type: 'sleep', params: { seconds: 0 } });
    const watcher = startJobflow(['watch', '--job', 'cli watched mine', '--json'], { env });
    await watcher.stderrText('watching job "cli watched mine"');
    await untilFinal((await api.jobs.run(other.id)).id);
    const run = await api.jobs.run(mine.id);
    await watcher.stdoutLine((line) => JSON.parse(line).run?.status === 'succeeded', 'the run to succeed');
    watcher.child.kill('SIGTERM');
    const result = await watcher.result;
    expect(result.code).toBe(0);
    const jobIds = parseLines(result.stdout).map((e) => e.run?.jobId ?? e.job?.id);
    expect(new Set(jobIds)).toEqual(new Set([mine.id]));
    expect(
      parseLines(result.stdout)
        .filter((e) => e.run?.id === run.id)
        .map((e) => e.run.status),
    ).toEqual(['queued', 'running', 'succeeded']);
  });

  it('prints aligned human lines without --json', async () => {
    const watcher = startJobflow(['watch'], { env });
    await watcher.stderrText('watching');
    const job = await api.jobs.create({ name: 'cli watched plain', type: 'sleep', params: { seconds: 0 } });
    const run = await api.jobs.run(job.id);
    await watcher.stdoutLine((line) => line.includes(run.id) && line.includes('succeeded'), 'the run to succeed');
    watcher.child.kill('SIGINT');
    const { stdout } = await watcher.result;
    const runLines = stdout.split('\n').filter((line) => line.includes(run.id));
    expect(runLines.map((line) => line.split(/\s+/)[2])).toEqual(['queued', 'running', 'succeeded']);
    // The run id starts in the same column on every line.
    expect(new Set(runLines.map((line) => line.indexOf(run.id))).size).toBe(1);
  });
});

describe('jobflow errors and output', () => {
  it("names API.md's error code on stderr and exits 3", async () => {
    const [missingRun, missingJob, badToken, nowhere] = await Promise.all([
      jobflow(['cancel', '00000000-0000-4000-8000-000000000000'], { env }),
      jobflow(['run', 'no such job'], { env }),
      jobflow(['jobs'], { env: { ...env, JOBFLOW_TOKEN: 'jf_not-a-token' } }),
      jobflow(['jobs'], { env: { ...env, JOBFLOW_URL: 'http://127.0.0.1:9', JOBFLOW_RETRY_SEC: '1' } }),
    ]);
    expect(missingRun.code).toBe(3);
    expect(missingRun.stderr).toMatch(/not_found: No such run/);
    expect(missingJob.code).toBe(3);
    expect(missingJob.stderr).toMatch(/not_found: No job has the id or name "no such job"/);
    expect(badToken.code).toBe(3);
    expect(badToken.stderr).toMatch(/unauthorized/);
    expect(nowhere.code).toBe(3);
    expect(nowhere.stderr).toMatch(/^jobflow: GET \/api\/jobs: ECONNREFUSED; trying again for up to 1 s$/m);
    expect(nowhere.stderr).toMatch(/network_error: Could not reach the server: .*ECONNREFUSED.* \(tried \d+ times in [\d.]+ s\)/);
    for (const result of [missingRun, missingJob, badToken, nowhere]) expect(result.stdout).toBe('');

    const asJson = await jobflow(['cancel', '00000000-0000-4000-8000-000000000000', '--json'], { env });
    expect(asJson.code).toBe(3);
    expect(JSON.parse(asJson.stderr)).toMatchObject({ error: { code: 'not_found' }, status: 404 });
  });

  it('lists jobs aligned and plain when piped, coloured only when forced and neither NO_COLOR nor --no-color is given', async () => {
    const job = await api.jobs.create({ name: 'cli listed', type: 'sleep', params: { seconds: 0 } });
    const [plain, forced, noColor, asJson, noColorFirst, noColorLast, refused, refusedNoColor] = await Promise.all([
      jobflow(['jobs'], { env }),
      jobflow(['jobs'], { env: { ...env, FORCE_COLOR: '1' } }),
      jobflow(['jobs'], { env: { ...env, FORCE_COLOR: '1', NO_COLOR: '1' } }),
      jobflow(['jobs', '--json', '--all'], { env }),
      jobflow(['--no-color', 'jobs'], { env: { ...env, FORCE_COLOR: '1' } }),
      jobflow(['jobs', '--no-color'], { env: { ...env, FORCE_COLOR: '1' } }),
      jobflow(['jobs'], { env: { ...env, FORCE_COLOR: '1', JOBFLOW_TOKEN: 'jf_not-a-token' } }),
      jobflow(['jobs', '--no-color'], { env: { ...env, FORCE_COLOR: '1', JOBFLOW_TOKEN: 'jf_not-a-token' } }),
    ]);
    for (const result of [noColorFirst, noColorLast]) {
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain(job.id);
      expect(result.stdout).not.toContain('\u001b[');
    }
    expect(refused.stderr).toContain('\u001b[');
    expect(refusedNoColor.code).toBe(3);
    expect(refusedNoColor.stderr).toMatch(/unauthorized/);
    expect(refusedNoColor.stderr).not.toContain('\u001b[');
    expect(plain.code).toBe(0);
    const [header, ...rows] = plain.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^ID\s+NAME\s+TYPE\s+SCHEDULE\s+LAST RUN/);
    const row = rows.find((r) => r.startsWith(job.id));
    expect(row).toBeDefined();
    expect(row!.indexOf('cli listed')).toBe(header!.indexOf('NAME'));
    expect(plain.stdout).not.toContain('\u001b[');
    expect(forced.stdout).toContain('\u001b[');
    expect(noColor.stdout).not.toContain('\u001b[');
    expect((JSON.parse(asJson.stdout) as JobDto[]).map((j) => j.id)).toContain(job.id);
  });
});
