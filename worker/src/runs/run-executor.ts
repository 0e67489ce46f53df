import type BeeQueue from 'bee-queue';
import { isJobTypeName, jobTypeInfos, parseJobParams, type JobParams, type JobTypeName, type LogStream } from '@jobflow/shared';
import { openParams, SecretUnreadableError, type Keyring, type Logger } from '@jobflow/core/platform';
import type { RunJobData } from '@jobflow/core/queue';
import type { Artifacts } from '@jobflow/core/artifacts';
import type { Ending, RunEngine, RunError, RunRow } from '@jobflow/core/runs';
import type { WorkerConfig } from '../config';
import type { HandlerCatalog } from '../job-types/catalog';
import { NonRetryableError, HandlerError, type JobContext } from '../job-types/job-handler';
import { AttemptAborted, abortReasonOf } from './attempt-abort';
import { createAttemptWriter, type AttemptWriter } from './attempt-writer';
import { createSecretMasker, type SecretMasker } from './secret-masker';

/** Thrown to Bee-Queue so it offers the job again shortly: the job is at its concurrency limit. */
export class DeferredError extends Error {
  constructor() {
    super('the job is at its maximum of concurrent runs; trying again shortly');
    this.name = new.target.name;
  }
}

type HandlerReturn = Record<string, unknown> | void;

/** How a handler's promise settled: returned, threw, or was left behind after an abort. */
type Settled = { kind: 'returned'; value: HandlerReturn } | { kind: 'threw'; error: unknown } | { kind: 'abandoned' };

/** What becomes of an attempt, decided from how its handler settled and why its signal aborted. */
type Outcome =
  /** Another attempt took over: this one writes nothing more. */
  | { kind: 'superseded' }
  /** The worker is shutting down: the run goes back to the queue and the attempt does not count. */
  | { kind: 'handed-back' }
  /** The handler failed: another attempt while any remain. */
  | { kind: 'retry'; error: unknown }
  /** Stored with the attempt's last lines in one statement. */
  | { kind: 'final'; status: Ending['status']; error: RunError | null; systemLine?: string };

const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e)) || 'the handler failed';

/** Waits for the handler; once the signal aborts, waits at most `graceMs` more, then leaves it behind. */
function settle(handler: Promise<HandlerReturn>, signal: AbortSignal, graceMs: number): Promise<Settled> {
  const done = handler.then(
    (value): Settled => ({ kind: 'returned', value }),
    (error): Settled => ({ kind: 'threw', error }),
  );
  const abandoned = new Promise<Settled>((resolve) => {
    const onAbort = () => setTimeout(() => resolve({ kind: 'abandoned' }), graceMs).unref();
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([done, abandoned]);
}

function decide(settled: Settled, signal: AbortSignal, mask: SecretMasker): Outcome {
  const aborted = abortReasonOf(signal);
  switch (aborted?.kind) {
    case 'superseded':
      return { kind: 'superseded' };
    case 'shutdown':
      return { kind: 'handed-back' };
    case 'timeout':
      return { kind: 'final', status: 'failed', error: { code: 'timeout', message: aborted.message }, systemLine: aborted.message };
    case 'cancel':
      return { kind: 'final', status: 'cancelled', error: { code: 'cancelled', message: aborted.message }, systemLine: aborted.message };
    case undefined:
      break;
  }
  if (settled.kind === 'returned') return { kind: 'final', status: 'succeeded', error: null };
  if (settled.kind === 'threw' && settled.error instanceof NonRetryableError) {
    const message = mask.text(messageOf(settled.error));
    return { kind: 'final', status: 'failed', error: { code: 'handler_error', message }, systemLine: `failed (not retried): ${message}` };
  }
  return { kind: 'retry', error: settled.kind === 'threw' ? settled.error : new Error('the handler did not stop') };
}

/**
 * The result the attempt leaves: what it set along the way, merged with what
 * it returned or threw with (the run's secrets masked); null when empty.
 */
function resultOf(partial: Record<string, unknown>, settled: Settled, mask: SecretMasker): Record<string, unknown> | null {
  let result = partial;
  if (settled.kind === 'returned' && settled.value) result = { ...result, ...mask.value(settled.value) };
  if (settled.kind === 'threw' && (settled.error instanceof HandlerError || settled.error instanceof NonRetryableError) && settled.error.result) {
    result = { ...result, ...mask.value(settled.error.result) };
  }
  return Object.keys(result).length ? result : null;
}

export interface ActiveAttempt {
  attempt: number;
  controller: AbortController;
  done: Promise<void>;
}

/**
 * The bookkeeping every job type shares: claim the attempt, check its
 * params, give the handler its context, enforce timeout and cancel through
 * the AbortSignal, store logs and progress, then store the outcome. Every
 * write goes through the run engine, fenced by (runId, attempt).
 */
export function createRunExecutor(deps: {
  runs: RunEngine;
  artifacts: Artifacts;
  config: WorkerConfig;
  log: Logger;
  workerId: string;
  handlers: HandlerCatalog;
  keyring: Keyring;
}) {
  const { runs, artifacts, config, log, workerId, handlers } = deps;
  const active = new Map<string, ActiveAttempt>();

  /** Fails an attempt that cannot start on this worker. */
  async function refuse(row: RunRow, error: RunError, systemLine: string): Promise<void> {
    await runs.finish({ runId: row.id, attempt: row.attempt, status: 'failed', result: null, error, systemLine });
  }

  /**
   * The handler's view of the attempt: its params (secrets opened), signal,
   * and the writer for its lines, progress and result (secrets masked).
   */
  function contextOf<P>(
    row: RunRow,
    params: P,
    signal: AbortSignal,
    writer: AttemptWriter,
    mask: SecretMasker,
    result: Record<string, unknown>,
  ): JobContext<P> {
    return {
      runId: row.id,
      params,
      attempt: row.attempt,
      maxAttempts: row.max_attempts,
      signal,
      log: (line: string, stream?: LogStream) => writer.log(mask.text(line), stream),
      progress: (fraction: number) => writer.progress(fraction),
      setResult: (partial: Record<string, unknown>) => {
        if (!writer.isClosed) Object.assign(result, mask.value(partial));
      },
      artifact: (name, body, options) => artifacts.attach({ runId: row.id, attempt: row.attempt, name, body, contentType: options?.contentType }),
    };
  }

  /** Runs the handler of `type` to its end (or until it is abandoned after an abort), under the run's timeout. */
  async function runHandler<K extends JobTypeName>(
    type: K,
    params: JobParams[K],
    row: RunRow,
    controller: AbortController,
    writer: AttemptWriter,
    mask: SecretMasker,
  ) {
    const result: Record<string, unknown> = {};
    const ctx = contextOf(row, params, controller.signal, writer, mask, result);
    const timeoutSec = row.timeout_sec;
    const timeout =
      timeoutSec != null ? setTimeout(() => controller.abort(new AttemptAborted('timeout', `timed out after ${timeoutSec} s`)), timeoutSec * 1000) : null;
    const handler = handlers[type];
    const settled = await settle(
      Promise.resolve().then(() => handler(ctx)),
      controller.signal,
      config.abortGraceMs,
    );
    if (timeout) clearTimeout(timeout);
    return { settled, result: resultOf(result, settled, mask) };
  }

  /** Stores what became of the attempt. */
  async function record(
    row: RunRow,
    outcome: Outcome,
    result: Record<string, unknown> | null,
    writer: AttemptWriter,
    mask: SecretMasker,
    runLog: Logger,
  ): Promise<void> {
    const { id: runId, attempt } = row;
    switch (outcome.kind) {
      case 'superseded':
        writer.close();
        return;
      case 'handed-back':
        await writer.drain();
        writer.close();
        await runs.retryOrFail({
          runId,
          attempt,
          error: { code: 'worker_lost', message: `worker ${workerId} shut down (this attempt does not count)` },
          isFreeAttempt: true,
        });
        return;
      case 'retry':
        await writer.drain();
        writer.close();
        if (!(outcome.error instanceof HandlerError)) runLog.debug('handler threw', { error: outcome.error });
        await runs.retryOrFail({ runId, attempt, error: { code: 'handler_error', message: mask.text(messageOf(outcome.error)) }, result });
        return;
      case 'final': {
        // The lines not stored yet go in the same statement as the outcome.
        const lines = await writer.takeRest();
        const stored = outcome.status === 'succeeded' ? (result ?? {}) : result;
        await runs.finish({ runId, attempt, status: outcome.status, result: stored, error: outcome.error, systemLine: outcome.systemLine, lines });
        return;
      }
    }
  }

  /** One claimed attempt, from its params check to its stored outcome. */
  async function execute(row: RunRow, controller: AbortController): Promise<void> {
    const type = row.job_type ?? '';
    if (!isJobTypeName(type)) {
      const message = `This worker has no handler for job type "${type}".`;
      return refuse(row, { code: 'handler_error', message }, `no handler for job type "${type}" on worker ${workerId}`);
    }
    // Secrets are opened here, for this attempt only; what the run writes is masked with them.
    let opened: { params: Record<string, unknown>; secrets: string[] };
    try {
      opened = openParams(jobTypeInfos[type], row.params, deps.keyring);
    } catch (e) {
      const message = e instanceof SecretUnreadableError ? e.message : 'a secret of the params could not be read';
      return refuse(row, { code: 'invalid_params', message }, `invalid params: ${message}`);
    }
    const mask = createSecretMasker(opened.secrets);
    const parsed = parseJobParams(type, opened.params);
    if (!parsed.ok) {
      const message = mask.text(parsed.problems.map((p) => `${p.path} ${p.message}`).join('; '));
      return refuse(row, { code: 'invalid_params', message }, `invalid params: ${message}`);
    }
    const runLog = log.child({ runId: row.id, attempt: row.attempt });
    const writer = createAttemptWriter({
      runs,
      log: runLog,
      runId: row.id,
      attempt: row.attempt,
      flushMs: config.logFlushMs,
      flushLines: config.logFlushLines,
      maxLineChars: config.logMaxLineChars,
      onSuperseded: () => controller.abort(new AttemptAborted('superseded', 'this attempt is no longer current')),
    });
    const { settled, result } = await runHandler(type, parsed.params, row, controller, writer, mask);
    await record(row, decide(settled, controller.signal, mask), result, writer, mask, runLog);
  }

  return {
    active,

    /** Bee-Queue's process function: one delivery of one attempt. */
    async process(job: BeeQueue.Job<RunJobData>): Promise<void> {
      const { runId, attempt } = job.data;
      if (active.has(runId)) return;
      let finish!: () => void;
      const entry: ActiveAttempt = { attempt, controller: new AbortController(), done: new Promise<void>((r) => (finish = r)) };
      // Held from the claim on, so a second delivery of the same run meanwhile stands back.
      active.set(runId, entry);
      try {
        const claim = await runs.claim({ runId, attempt, workerId, queueJobId: job.id });
        switch (claim.kind) {
          case 'busy':
            throw new DeferredError();
          case 'unclaimable': {
            const row = claim.row;
            // The same queue job delivered again while PostgreSQL says it runs: Bee-Queue saw its worker stall or die.
            if (row && row.status === 'running' && row.attempt === attempt && row.queue_job_id === job.id) {
              log.child({ runId, attempt }).warn('a run was redelivered after its worker stalled', { previousWorker: row.worker_id });
              await runs.retryOrFail({
                runId,
                attempt,
                error: { code: 'worker_lost', message: `worker ${row.worker_id} stopped responding during attempt ${attempt}` },
              });
            }
            return;
          }
          case 'claimed':
            await execute(claim.row, entry.controller);
            return;
        }
      } finally {
        active.delete(runId);
        finish();
      }
    },

    /** Aborts the current attempt of `runId` if this worker runs it. */
    abort(runId: string, attempt: number | null, reason: AttemptAborted): boolean {
      const entry = active.get(runId);
      if (!entry || (attempt !== null && entry.attempt !== attempt)) return false;
      entry.controller.abort(reason);
      return true;
    },
  };
}
