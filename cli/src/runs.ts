import type { JobDto, JobSummaryDto, LogLineDto, RunDto, RunStatus } from '@jobflow/shared';
import type { ApiClientError, JobflowClient } from '@jobflow/shared/client';
import { UsageError } from './args';
import { loadClientLibrary } from './client-library';
import type { Context } from './context';
import { EXIT, exitCodeOf } from './exit-codes';
import { formatDuration, note, paintStatus, printJson, type Output } from './output';
import { textPathsOf, type TextPathCheck } from './params';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A job by its id, or else by its exact name (which must then be unique). */
export async function findJob(client: JobflowClient, ref: string): Promise<JobDto> {
  const { ApiClientError, isApiClientError } = await loadClientLibrary();
  if (UUID.test(ref)) {
    try {
      return await client.jobs.get(ref);
    } catch (error) {
      if (!isApiClientError(error, 'not_found')) throw error;
    }
  }
  const matches: JobSummaryDto[] = [];
  let cursor: string | null = null;
  do {
    const page = await client.jobs.list({ q: ref, limit: 200, cursor });
    matches.push(...page.items.filter((job) => job.name === ref));
    cursor = page.nextCursor;
  } while (cursor);
  const [only, ...others] = matches;
  if (!only) throw new ApiClientError('not_found', `No job has the id or name "${ref}".`, 404);
  if (others.length > 0) throw new UsageError(`${matches.length} jobs are named "${ref}"; use an id: ${matches.map((j) => j.id).join(', ')}.`);
  // Lists carry summaries: the whole job (its params) comes from its own GET.
  return client.jobs.get(only.id);
}

/** Where a job type's params want text, from its schema (unknown types: nowhere). */
export async function textPathsOfType(client: JobflowClient, type: string): Promise<TextPathCheck> {
  const info = (await client.jobTypes.list()).find((t) => t.type === type);
  return textPathsOf(info?.paramsSchema);
}

/** Writes a log line where it belongs: stdout lines to stdout, stderr and system lines to stderr (system ones marked). */
export function printLogLine(o: Output, line: LogLineDto): void {
  switch (line.stream) {
    case 'stdout':
      o.out.write(line.text + '\n');
      return;
    case 'stderr':
      o.err.write(line.text + '\n');
      return;
    case 'system':
      o.err.write(`${o.ec.cyan('[system]')} ${line.text}\n`);
      return;
  }
}

/** One line saying where a run stands, for notes on stderr. */
export function describeRun(o: Output, run: RunDto): string {
  const c = o.ec;
  const what = `run ${c.bold(run.id)} of ${run.jobName}`;
  switch (run.status) {
    case 'queued':
      return run.attempt > 1
        ? `${what} ${paintStatus(c, run.status)} for attempt ${run.attempt} of ${run.maxAttempts}`
        : `${what} ${paintStatus(c, run.status)}`;
    case 'running':
      return `${what} ${paintStatus(c, run.status)}${run.maxAttempts > 1 ? ` (attempt ${run.attempt} of ${run.maxAttempts})` : ''}`;
    case 'succeeded':
      return `${what} ${paintStatus(c, run.status)} in ${formatDuration(run.durationMs)}`;
    case 'failed':
      return `${what} ${paintStatus(c, run.status)}${run.error ? `: ${run.error.code}: ${run.error.message}` : ''}`;
    case 'cancelled':
      return `${what} ${paintStatus(c, run.status)}${run.error ? ` (${run.error.message})` : ''}`;
  }
}

export interface FollowOptions {
  afterSeq?: number;
  /** Print followRun's events as JSON lines instead of the log. */
  isJson: boolean;
  /** Print only log lines with `--json`, not run snapshots (`jobflow logs`). */
  isLogOnly?: boolean;
  /** No notes on stderr about the run's state. */
  isQuiet: boolean;
  /** The status the caller already told the user about. */
  shownStatus?: RunStatus;
}

/**
 * Streams a run's log until the run is final (every line once, in order, across
 * reconnects) and returns the exit code of its outcome: 0 succeeded, 1 failed,
 * 130 cancelled, or 130 when interrupted before.
 */
export async function followToEnd(ctx: Context, client: JobflowClient, runId: string, options: FollowOptions): Promise<number> {
  const { o } = ctx;
  const { isFinalStatus } = await loadClientLibrary();
  const abort = new AbortController();
  const state: { stopped: { why: 'interrupted' } | { why: 'refused'; error: ApiClientError } | null } = { stopped: null };
  const offInterrupt = ctx.onInterrupt(() => {
    state.stopped ??= { why: 'interrupted' };
    abort.abort();
  });
  // A revoked token makes the socket's reconnects fail forever: stop instead.
  const offAuthError = client.onAuthError((error) => {
    state.stopped ??= { why: 'refused', error };
    abort.abort();
  });
  const follow = client.followRun(runId, { afterSeq: options.afterSeq ?? 0, signal: abort.signal });
  let shownStatus: RunStatus | null = options.shownStatus ?? null;
  try {
    for await (const event of follow) {
      if (options.isJson) {
        if (event.type === 'log') printJson(o, options.isLogOnly ? event.line : event);
        else if (!options.isLogOnly) printJson(o, event);
      } else if (event.type === 'log') {
        printLogLine(o, event.line);
      } else if (event.run.status !== shownStatus) {
        shownStatus = event.run.status;
        if (!options.isQuiet && !isFinalStatus(shownStatus)) note(o, describeRun(o, event.run));
      }
    }
  } finally {
    offInterrupt();
    offAuthError();
  }
  const stop = state.stopped;
  if (stop?.why === 'refused') throw stop.error;
  const run = follow.run;
  if (stop?.why === 'interrupted' || !run || !isFinalStatus(run.status)) {
    if (!options.isQuiet) note(o, `stopped following; the run goes on (stop it with: jobflow cancel ${runId})`);
    return EXIT.cancelled;
  }
  if (!options.isQuiet && !options.isJson) note(o, describeRun(o, run));
  return exitCodeOf(run.status);
}
