import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { lstat, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ParamsOf, shellInfo } from '@jobflow/shared';
import { lineSplitter } from '../runs/log-text';
import { HandlerError, type JobHandler } from './job-handler';

/** How long a process group gets between SIGTERM and SIGKILL. */
const KILL_GRACE_MS = 1500;
const MAX_PARTIAL_LINE_CHARS = 16_384;

type ShellContext = Parameters<JobHandler<ParamsOf<typeof shellInfo>>>[0];

/**
 * Attaches the regular files the script left in its artifacts folder, by
 * name; a file that cannot be attached (bad name, too large) is named in the
 * log and the others still go. Subfolders and links are not followed.
 */
async function attachLeftFiles(ctx: ShellContext, dir: string): Promise<void> {
  const names = (await readdir(dir)).sort();
  for (const name of names) {
    if (ctx.signal.aborted) return;
    const file = path.join(dir, name);
    const stat = await lstat(file);
    if (!stat.isFile()) {
      ctx.log(`artifact "${name}" not attached: only regular files in JOBFLOW_ARTIFACTS_DIR are attached`, 'stderr');
      continue;
    }
    try {
      const artifact = await ctx.artifact(name, createReadStream(file));
      ctx.log(`attached artifact "${artifact.name}" (${artifact.size} bytes)`);
    } catch (e) {
      ctx.log(`artifact "${name}" not attached: ${(e as Error).message}`, 'stderr');
    }
  }
}

/**
 * Runs the script in its own process group: stdout and stderr lines become
 * log lines; exit 0 succeeds. On abort (cancel, timeout, shutdown) the whole
 * group gets SIGTERM, then SIGKILL after a grace period. The script gets an
 * empty folder of its own in JOBFLOW_ARTIFACTS_DIR: the files left there when
 * it exits (whatever its exit code) are attached to the run as artifacts.
 */
export const shellHandler: JobHandler<ParamsOf<typeof shellInfo>> = async (ctx) => {
  const artifactsDir = await mkdtemp(path.join(tmpdir(), 'jobflow-artifacts-'));
  try {
    const exit = await runScript(ctx, artifactsDir);
    await attachLeftFiles(ctx, artifactsDir);
    if (exit.kind === 'failed') throw exit.error;
    return { exitCode: 0 };
  } finally {
    await rm(artifactsDir, { recursive: true, force: true });
  }
};

function runScript(ctx: ShellContext, artifactsDir: string): Promise<{ kind: 'succeeded' } | { kind: 'failed'; error: Error }> {
  return new Promise((resolve) => {
    const { script, shell = '/bin/sh', cwd, env } = ctx.params;
    const child = spawn(shell, ['-c', script], {
      cwd,
      env: { ...process.env, ...env, JOBFLOW_RUN_ID: ctx.runId, JOBFLOW_ATTEMPT: String(ctx.attempt), JOBFLOW_ARTIFACTS_DIR: artifactsDir },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stdout = lineSplitter((line) => ctx.log(line, 'stdout'), MAX_PARTIAL_LINE_CHARS);
    const stderr = lineSplitter((line) => ctx.log(line, 'stderr'), MAX_PARTIAL_LINE_CHARS);
    child.stdout.on('data', (chunk: Buffer) => stdout.write(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.write(chunk));

    let killTimer: NodeJS.Timeout | null = null;
    const killGroup = (signal: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, signal);
      } catch {
        // already gone
      }
    };
    const onAbort = () => {
      killGroup('SIGTERM');
      killTimer = setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS);
    };
    if (ctx.signal.aborted) onAbort();
    else ctx.signal.addEventListener('abort', onAbort, { once: true });

    child.on('error', (e) => {
      ctx.signal.removeEventListener('abort', onAbort);
      resolve({ kind: 'failed', error: new HandlerError(`could not start ${shell}: ${e.message}`) });
    });
    child.on('close', (code, signal) => {
      ctx.signal.removeEventListener('abort', onAbort);
      if (killTimer) clearTimeout(killTimer);
      stdout.end();
      stderr.end();
      const exitCode = code ?? (signal ? 128 : 1);
      if (code === 0) return resolve({ kind: 'succeeded' });
      const why = signal ? `killed by ${signal}` : `exited with code ${code}`;
      resolve({ kind: 'failed', error: new HandlerError(`the script ${why}`, { exitCode, ...(signal ? { signal } : {}) }) });
    });
  });
}
