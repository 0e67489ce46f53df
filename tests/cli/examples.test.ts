import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CreatedTokenDto, RunDto } from '@jobflow/shared';
import { createClient, type JobflowClient } from '@jobflow/shared/client';
import { startStack, type Stack } from '../support/stack';
import { REPO_ROOT } from '../support/processes';
import { waitFor } from '../support/wait';

vi.setConfig({ testTimeout: 180_000 });

let stack: Stack;
let api: JobflowClient;
let dir: string;
let env: Record<string, string>;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  stack = await startStack();
  dir = await mkdtemp(join(tmpdir(), 'jobflow-examples-'));
  const token = (await stack.request<CreatedTokenDto>('POST', '/api/tokens', { token: stack.admin.token, body: { name: 'examples' } })).body.token as string;
  api = createClient({ url: stack.baseUrl, token });
  env = { PATH: process.env.PATH ?? '', HOME: dir, XDG_CONFIG_HOME: join(dir, 'config'), JOBFLOW_URL: stack.baseUrl, JOBFLOW_TOKEN: token };
});
afterAll(async () => {
  for (const child of children) {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // gone
    }
  }
  api.close();
  await rm(dir, { recursive: true, force: true });
  await stack.stop();
});

/** Starts an example in its own process group (so Ctrl-C reaches the whole pipeline). */
function startExample(command: string, args: string[], extraEnv: Record<string, string> = {}) {
  const child = spawn(command, args, { cwd: REPO_ROOT, env: { ...env, ...extraEnv }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('close', (code) => {
      children.delete(child);
      resolve(code);
    }),
  );
  return {
    interrupt: () => process.kill(-child.pid!, 'SIGINT'),
    exited,
    output: () => ({ stdout, stderr }),
  };
}

const until = <T>(check: () => Promise<T> | T, what: string) => waitFor(check, what, { everyMs: 100 });

async function untilFinal(runId: string): Promise<RunDto> {
  const follow = api.followRun(runId);
  for await (const _ of follow) {
    // ends when the run is final
  }
  return follow.run!;
}

describe('examples', () => {
  it('deploy-gate.sh deploys only when the run succeeds', async () => {
    await api.jobs.create({ name: 'gate passes', type: 'shell', params: { script: 'echo "tests pass for $VERSION"', env: { VERSION: 'none' } } });
    await api.jobs.create({ name: 'gate fails', type: 'shell', params: { script: 'echo "a test failed" >&2; exit 1' } });
    const marker = join(dir, 'deployed');
    const gate = (job: string, ...args: string[]) => startExample('examples/deploy-gate.sh', [job, ...args], { DEPLOY_CMD: `echo deployed > ${marker}` });

    const passes = gate('gate passes', '--param', 'env.VERSION=1.4.2');
    expect(await passes.exited).toBe(0);
    expect(passes.output().stdout).toContain('tests pass for 1.4.2\n');
    expect(await readFile(marker, 'utf8')).toBe('deployed\n');
    await rm(marker);

    const fails = gate('gate fails');
    expect(await fails.exited).toBe(1);
    expect(fails.output().stderr).toContain('a test failed');
    expect(fails.output().stderr).toContain('not deploying');
    const missing = gate('no such job');
    expect(await missing.exited).toBe(3);
    expect(existsSync(marker)).toBe(false);
  });

  it('mirror-events.sh appends every event to the file as one JSON object per line', async () => {
    const file = join(dir, 'events.jsonl');
    const mirror = startExample('examples/mirror-events.sh', [file]);
    await until(() => (mirror.output().stderr.includes('watching') ? true : undefined), 'the mirror to watch');
    const job = await api.jobs.create({ name: 'mirrored', type: 'sleep', params: { seconds: 0 } });
    const run = await api.jobs.run(job.id);
    await untilFinal(run.id);
    const lines = await until(async () => {
      const text = existsSync(file) ? await readFile(file, 'utf8') : '';
      return text.includes('"succeeded"') ? text.trimEnd().split('\n') : undefined;
    }, 'the run to reach the file');
    mirror.interrupt();
    await mirror.exited;

    const events = lines.map((line) => JSON.parse(line) as { seenAt: string; type: string; run?: RunDto; job?: { id: string } });
    expect(events.every((e) => !Number.isNaN(Date.parse(e.seenAt)))).toBe(true);
    expect(events.some((e) => e.type === 'job:updated' && e.job?.id === job.id)).toBe(true);
    expect(events.filter((e) => e.run?.id === run.id).map((e) => e.run!.status)).toEqual(['queued', 'running', 'succeeded']);
  });

  it('alert-on-failure.ts posts one alert per failed run, none for a run that succeeds', async () => {
    const posts: string[] = [];
    const webhook = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        posts.push(JSON.parse(body).text);
        res.end('ok');
      });
    });
    webhook.listen(0, '127.0.0.1');
    await once(webhook, 'listening');
    try {
      const alerter = startExample(process.execPath, ['--import', 'tsx', 'examples/alert-on-failure.ts'], {
        ALERT_WEBHOOK_URL: `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/hook`,
      });
      await until(() => (alerter.output().stderr.includes('watching') ? true : undefined), 'the alerter to watch');
      const ok = await api.jobs.create({ name: 'alert ok', type: 'sleep', params: { seconds: 0 } });
      const bad = await api.jobs.create({ name: 'alert bad', type: 'sleep', params: { seconds: 0, fail: true } });
      await untilFinal((await api.jobs.run(ok.id)).id);
      const failed = await untilFinal((await api.jobs.run(bad.id)).id);
      expect(failed.status).toBe('failed');
      await until(() => (posts.length > 0 ? true : undefined), 'the alert');
      alerter.interrupt();
      await alerter.exited;

      expect(posts).toEqual([expect.stringContaining(`run of "alert bad" failed (attempt 1 of 1): handler_error: asked to fail`)]);
      expect(posts[0]).toContain(`/runs/${failed.id}`);
      expect(alerter.output().stdout.trim()).toBe(posts[0]);
    } finally {
      await new Promise((resolve) => webhook.close(resolve));
    }
  });
});
