import { findJobTypeInfo, type LogLineDto, type LogStream, type RunDto, type RunStatus, type RunSummaryDto, type TriggerDto } from '@jobflow/shared';
import { iso, type Timestamp } from '../db';
import { maskParams } from '../platform';

/** A row of `runs` joined with its job's name, as every statement of this module returns it. */
export interface RunRow {
  id: string;
  job_id: string;
  job_name: string;
  job_type?: string;
  /** The job's notification targets (stored form), where the statement joined the job. */
  job_notifications?: unknown[];
  status: RunStatus;
  params: Record<string, unknown>;
  attempt: number;
  max_attempts: number;
  progress: number | null;
  queued_at: Timestamp;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
  result: Record<string, unknown> | null;
  error_code: string | null;
  error_message: string | null;
  trigger_kind: TriggerDto['kind'];
  trigger_user_id: string | null;
  rerun_of: string | null;
  log_count: number;
  version: number;
  timeout_sec: number | null;
  not_before: Timestamp | null;
  worker_id: string | null;
  queue_job_id: string | null;
  cancel_requested_at: Timestamp | null;
  /** The run's params differ from its job's when it was queued (kept by a trigger). */
  params_changed?: boolean;
  /** Set by transitions that also store a `system` log line. */
  log_line?: { seq: number; ts: string; stream: LogStream; text: string } | null;
  /** Set by `finish`: the attempt's last output lines it stored with the outcome. */
  stored_lines?: LogLineDto[];
}

/** A run's row without its params and result: what lists read, since a run's params may be large. */
export type RunSummaryRow = Omit<RunRow, 'params' | 'result'>;

/** A log line as a worker hands it over, before it has a `seq`. */
export interface NewLogLine {
  ts: string;
  stream: LogStream;
  text: string;
}

export interface NewRun {
  /** Chosen by the caller when it needs to know the id before the run is stored; a fresh UUID otherwise. */
  id?: string;
  jobId: string;
  /** Left out: the job's own params, max attempts and timeout, read in the same statement. */
  params?: Record<string, unknown>;
  maxAttempts?: number;
  timeoutSec?: number | null;
  trigger: TriggerDto;
}

/** A worker taking one attempt of a run, delivered as Bee-Queue job `queueJobId`. */
export interface Claim {
  runId: string;
  attempt: number;
  workerId: string;
  queueJobId: string;
}

export type ClaimOutcome = { kind: 'claimed'; row: RunRow } | { kind: 'busy' } | { kind: 'unclaimable'; row: RunRow | null };

/** Lines for the current attempt of a running run. */
export interface LogAppend {
  runId: string;
  attempt: number;
  lines: NewLogLine[];
}

/** How an attempt ended, as `finish` stores it. */
export interface Ending {
  runId: string;
  attempt: number;
  status: 'succeeded' | 'failed' | 'cancelled';
  result: Record<string, unknown> | null;
  error: RunError | null;
  systemLine?: string;
  lines?: NewLogLine[];
}

export interface RunError {
  code: string;
  message: string;
}

/** The run as lists and the dashboard show it: without its params and result. */
export function toRunSummary(row: RunSummaryRow): RunSummaryDto {
  const startedAt = iso(row.started_at);
  const finishedAt = iso(row.finished_at);
  return {
    id: row.id,
    jobId: row.job_id,
    jobName: row.job_name,
    status: row.status,
    attempt: row.attempt,
    maxAttempts: row.max_attempts,
    progress: row.progress,
    queuedAt: iso(row.queued_at)!,
    startedAt,
    finishedAt,
    durationMs: startedAt && finishedAt ? Date.parse(finishedAt) - Date.parse(startedAt) : null,
    error: row.error_code ? { code: row.error_code, message: row.error_message ?? '' } : null,
    trigger: {
      kind: row.trigger_kind,
      userId: row.trigger_user_id,
      ...(row.rerun_of ? { rerunOf: row.rerun_of } : {}),
    },
    logCount: row.log_count,
    version: row.version,
    timeoutSec: row.timeout_sec,
    paramsChanged: row.params_changed ?? false,
    retryAt: row.status === 'queued' && row.attempt > 1 ? iso(row.not_before) : null,
  };
}

/** The run as the API shows it to anyone: secrets in its params masked (they are stored sealed). */
export function toRunDto(row: RunRow): RunDto {
  return {
    ...toRunSummary(row),
    params: maskParams(row.params, row.job_type ? findJobTypeInfo(row.job_type) : undefined),
    result: row.result,
  };
}

/** The system line a transition stored, in the shape `run:log` carries. */
export function systemLineOf(row: RunRow): LogLineDto | null {
  const l = row.log_line;
  return l ? { seq: l.seq, ts: new Date(l.ts).toISOString(), stream: l.stream, text: l.text } : null;
}
