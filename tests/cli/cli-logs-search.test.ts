import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CreatedTokenDto, JobDto, LogHitDto } from '@jobflow/shared';
import { startStack, type Stack } from '../support/stack';
import { jobflow, killJobflowProcesses } from './run-cli';

vi.setConfig({ testTimeout: 120_000 });

let stack: Stack;
let env: Record<string, string>;
let job: JobDto;
let other: JobDto;
const runs: Record<string, string> = {};

async function seedRun(jobId: string, texts: string[], status = 'succeeded'): Promise<string> {
  const [run] = await stack.sql<{ id: string }>(
    `insert into runs (job_id, status, params, max_attempts, started_at, finished_at, trigger_kind, log_count)
     values ($1, $2, '{}', 1, now(), now(), 'manual', $3) returning id`,
    [jobId, status, texts.length],
  );
  await stack.sql(
    `insert into run_logs (run_id, seq, ts, stream, text)
     select $1, t.i, now() - ($3 - t.i) * interval '1 second', 'stdout', t.text from unnest($2::text[]) with ordinality as t(text, i)`,
    [run!.id, texts, texts.length],
  );
  return run!.id;
}

beforeAll(async () => {
  stack = await startStack({ workers: 0 });
  const token = (await stack.request<CreatedTokenDto>('POST', '/api/tokens', { token: stack.admin.token, body: { name: 'cli search' } })).body.token as string;
  env = { HOME: '/nonexistent', XDG_CONFIG_HOME: '/nonexistent/config', JOBFLOW_URL: stack.baseUrl, JOBFLOW_TOKEN: token, NO_COLOR: '1' };
  job = await stack.createJob({ name: 'nightly import', type: 'sleep', params: { seconds: 1 } });
  other = await stack.createJob({ name: 'other job', type: 'sleep', params: { seconds: 1 } });
  runs.failed = await seedRun(job.id, ['starting', 'ERROR: disk Full on /var', 'done'], 'failed');
  runs.ok = await seedRun(other.id, ['no error here: disk full check passed']);
});
afterAll(async () => {
  await killJobflowProcesses();
  await stack.stop();
});

describe('jobflow logs --search', () => {
  it('prints each hit as "<run> #<seq> <time> <job>: <line>", newest first', async () => {
    const result = await jobflow(['logs', '--search', 'DISK FULL'], { env });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`^${runs.ok} #1 \\S+Z other job: no error here: disk full check passed$`));
    expect(lines[1]).toMatch(new RegExp(`^${runs.failed} #2 \\S+Z nightly import: ERROR: disk Full on /var$`));
  });

  it('narrows by job name and status, and --json prints the hits with their matches', async () => {
    const byJob = await jobflow(['logs', '--search', 'disk full', '--job', 'nightly import', '--json'], { env });
    expect(byJob.code).toBe(0);
    const hits = byJob.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as LogHitDto);
    expect(hits.map((h) => [h.run.id, h.seq, h.match])).toEqual([[runs.failed, 2, [[7, 16]]]]);
    const byStatus = await jobflow(['logs', '--search', 'disk full', '--status', 'succeeded', '--limit', '1'], { env });
    expect(byStatus.stdout).toContain(runs.ok);
    expect(byStatus.stdout).not.toContain(runs.failed);
  });

  it('refuses a run id beside --search, and a search the server refuses', async () => {
    const both = await jobflow(['logs', runs.ok!, '--search', 'disk'], { env });
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('either a run id or --search');
    const short = await jobflow(['logs', '--search', 'di'], { env });
    expect(short.code).not.toBe(0);
    expect(short.stderr).toContain('Query parameter "q": must be 3 to 200 characters');
  });
});
