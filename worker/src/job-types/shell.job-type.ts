import { spawn } from 'node:child_process';
import type { ParamsOf, shellInfo } from '@jobflow/shared';
import { lineSplitter } from '../runs/log-text';
import { HandlerError, type JobHandler } from './job-handler';

/** How long a process group gets between SIGTERM and SIGKILL. */
const KILL_GRACE_MS = 1500;
const MAX_PARTIAL_LINE_CHARS = 16_384;

/**
 * Runs the script in its own process group: stdout and stderr lines become
 * log lines; exit 0 succeeds. On abort (cancel, timeout, shutdown) the whole
 * group gets SIGTERM, then SIGKILL after a grace period.
 */
export const shellHandler: JobHandler<ParamsOf<typeof shellInfo>> = (ctx) =>
  new Promise((resolve, reject) => {
    const { script, shell = '/bin/sh', cwd, env } = ctx.params;
    const child = spawn(shell, ['-c', script], {
      cwd,
      env: { ...process.env, ...env, JOBFLOW_RUN_ID: ctx.runId, JOBFLOW_ATTEMPT: String(ctx.attempt) },
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
      reject(new HandlerError(`could not start ${shell}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      ctx.signal.removeEventListener('abort', onAbort);
      if (killTimer) clearTimeout(killTimer);
      stdout.end();
      stderr.end();
      const exitCode = code ?? (signal ? 128 : 1);
      if (code === 0) return resolve({ exitCode: 0 });
      const why = signal ? `killed by ${signal}` : `exited with code ${code}`;
      reject(new HandlerError(`the script ${why}`, { exitCode, ...(signal ? { signal } : {}) }));
    });
  });
