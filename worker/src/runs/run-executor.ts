import type BeeQueue from 'bee-queue';
import { findJobTypeInfo, validateParams, type LogStream } from '@jobflow/shared';
import type { Db } from '@jobflow/core/db';
import type { LivePublisher } from '@jobflow/core/live';
import { openParams, SecretUnreadableError, type Keyring, type Logger } from '@jobflow/core/platform';
import type { RunJobData } from '@jobflow/core/queue';
import type { Ending, RunBatches, RunLifecycle, RunRow } from '@jobflow/core/runs';
import type { WorkerConfig } from '../config';
import type { JobContext, JobHandler } from '../job-types/job-handler';
import { NonRetryableError, HandlerError } from '../job-types/job-handler';
import { AttemptAborted, abortKindOf } from './attempt-abort';
import { createAttemptWriter } from './attempt-writer';
import { createSecretMasker } from './secret-masker';

/** Thrown to Bee-Queue so it offers the job again shortly: the job is at its concurrency limit. */
export class DeferredError extends Error {
  constructor() {
    super('the job is at its maximum of concurrent runs; trying again shortly');
    this.name = new.target.name;
  }
}

type Settled = { kind: 'returned'; value: Record<string, unknown> | void } | { kind: 'threw'; error: unknown } | { kind: 'abandoned' };

/** Waits for the handler; once the signal aborts, waits at most `graceMs` more, then leaves it behind. */
function settle(handler: Promise<Record<string, unknown> | void>, signal: AbortSignal, graceMs: number): Promise<Settled> {
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

const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e)) || 'the handler failed';

export interface ActiveAttempt {
  attempt: number;
  controller: AbortController;
  done: Promise<void>;
}

/**
 * The bookkeeping every job type shares: claim the attempt, validate params,
 * give the handler its context, enforce timeout and cancel through the
 * AbortSignal, store logs and progress, then store the outcome. Every write
 * is fenced by (runId, attempt).
 */
export function createRunExecutor(deps: {
  db: Db;
  live: LivePublisher;
  batches: RunBatches;
  lifecycle: RunLifecycle;
  config: WorkerConfig;
  log: Logger;
  workerId: string;
  handlers: Record<string, JobHandler<never>>;
  keyring: Keyring;
}) {
  const { db, batches, lifecycle, config, log, workerId } = deps;
  const active = new Map<string, ActiveAttempt>();

  async function execute(row: RunRow, controller: AbortController): Promise<void> {
    const runId = row.id;
    const attempt = row.attempt;
    const runLog = log.child({ runId, attempt });
    const info = row.job_type ? findJobTypeInfo(row.job_type) : undefined;
    const handler = row.job_type ? deps.handlers[row.job_type] : undefined;
    if (!info || !handler) {
      const done = await batches.finish({
        runId,
        attempt,
        status: 'failed',
        result: null,
        error: { code: 'handler_error', message: `This worker has no handler for job type "${row.job_type}".` },
        systemLine: `no handler for job type "${row.job_type}" on worker ${workerId}`,
      });
      if (done) lifecycle.publish(done);
      return;
    }
    // Secrets are opened here, for this attempt only; what the run writes is masked with them.
    let opened: { params: Record<string, unknown>; secrets: string[] };
    try {
      opened = openParams(info, row.params, deps.keyring);
    } catch (e) {
      opened = { params: row.params, secrets: [] };
      const message = e instanceof SecretUnreadableError ? e.message : 'a secret of the params could not be read';
      const done = await batches.finish({
        runId,
        attempt,
        status: 'failed',
        result: null,
        error: { code: 'invalid_params', message },
        systemLine: `invalid params: ${message}`,
      });
      if (done) lifecycle.publish(done);
      return;
    }
    const mask = createSecretMasker(opened.secrets);
    const problems = validateParams(info, opened.params);
    if (problems.length) {
      const message = mask.text(problems.map((p) => `${p.path} ${p.message}`).join('; '));
      const done = await batches.finish({
        runId,
        attempt,
        status: 'failed',
        result: null,
        error: { code: 'invalid_params', message },
        systemLine: `invalid params: ${message}`,
      });
      if (done) lifecycle.publish(done);
      return;
    }

    const writer = createAttemptWriter({
      db,
      batches,
      live: deps.live,
      log: runLog,
      runId,
      attempt,
      flushMs: config.logFlushMs,
      flushLines: config.logFlushLines,
      maxLineChars: config.logMaxLineChars,
      onSuperseded: () => controller.abort(new AttemptAborted('superseded', 'this attempt is no longer current')),
    });
    let result: Record<string, unknown> = {};
    const ctx: JobContext<never> = {
      runId,
      params: opened.params as never,
      attempt,
      maxAttempts: row.max_attempts,
      signal: controller.signal,
      log: (line: string, stream?: LogStream) => writer.log(mask.text(line), stream),
      progress: (fraction: number) => writer.progress(fraction),
      setResult: (partial: Record<string, unknown>) => {
        if (!writer.isClosed) result = { ...result, ...mask.value(partial) };
      },
    };
    const timeout =
      row.timeout_sec != null
        ? setTimeout(() => controller.abort(new AttemptAborted('timeout', `timed out after ${row.timeout_sec} s`)), row.timeout_sec * 1000)
        : null;

    const settled = await settle(
      Promise.resolve().then(() => handler(ctx)),
      controller.signal,
      config.abortGraceMs,
    );
    if (timeout) clearTimeout(timeout);
    const aborted = abortKindOf(controller.signal);
    if (aborted === 'superseded') {
      writer.close();
      return;
    }

    const reason = controller.signal.reason as AttemptAborted | undefined;
    if (settled.kind === 'returned' && settled.value) result = { ...result, ...mask.value(settled.value) };
    if (settled.kind === 'threw' && (settled.error instanceof HandlerError || settled.error instanceof NonRetryableError) && settled.error.result) {
      result = { ...result, ...mask.value(settled.error.result) };
    }
    const keptResult = Object.keys(result).length ? result : null;

    const isFinalOutcome =
      aborted === 'timeout' || aborted === 'cancel' || settled.kind === 'returned' || (settled.kind === 'threw' && settled.error instanceof NonRetryableError);
    if (aborted === 'shutdown' || !isFinalOutcome) {
      await writer.drain();
      writer.close();
      if (aborted === 'shutdown') {
        await lifecycle.retryOrFail(runId, attempt, { code: 'worker_lost', message: `worker ${workerId} shut down (this attempt does not count)` }, true);
        return;
      }
      const error = settled.kind === 'threw' ? settled.error : new Error('the handler did not stop');
      if (settled.kind === 'threw' && !(error instanceof HandlerError)) runLog.debug('handler threw', { error });
      if (keptResult)
        await db.sql(`update runs set result = ?::jsonb where id = ? and attempt = ? and status = 'running'`, [JSON.stringify(keptResult), runId, attempt]);
      await lifecycle.retryOrFail(runId, attempt, { code: 'handler_error', message: mask.text(messageOf(error)) });
      return;
    }

    // A final outcome: the lines not stored yet go in the same statement as the outcome.
    const lines = await writer.takeRest();
    const ending = (status: Ending['status'], error: Ending['error'], systemLine?: string): Ending => ({
      runId,
      attempt,
      status,
      result: keptResult,
      error,
      systemLine,
      lines,
    });
    let outcome: Ending;
    if (aborted === 'timeout') outcome = ending('failed', { code: 'timeout', message: reason!.message }, reason!.message);
    else if (aborted === 'cancel') outcome = ending('cancelled', { code: 'cancelled', message: reason!.message }, reason!.message);
    else if (settled.kind === 'returned') outcome = { ...ending('succeeded', null), result: keptResult ?? {} };
    else {
      const message = mask.text(messageOf(settled.kind === 'threw' ? settled.error : null));
      outcome = ending('failed', { code: 'handler_error', message }, `failed (not retried): ${message}`);
    }
    const row2 = await batches.finish(outcome);
    if (!row2) return;
    if (row2.stored_lines?.length) deps.live.runLog(runId, row2.stored_lines);
    lifecycle.publish(row2);
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
        const claim = await batches.claim({ runId, attempt, workerId, queueJobId: job.id });
        switch (claim.kind) {
          case 'busy':
            throw new DeferredError();
          case 'unclaimable': {
            const row = claim.row;
            // The same queue job delivered again while PostgreSQL says it runs: Bee-Queue saw its worker stall or die.
            if (row && row.status === 'running' && row.attempt === attempt && row.queue_job_id === job.id) {
              log.child({ runId, attempt }).warn('a run was redelivered after its worker stalled', { previousWorker: row.worker_id });
              await lifecycle.retryOrFail(runId, attempt, {
                code: 'worker_lost',
                message: `worker ${row.worker_id} stopped responding during attempt ${attempt}`,
              });
            }
            return;
          }
          case 'claimed':
            lifecycle.publish(claim.row);
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

export type RunExecutor = ReturnType<typeof createRunExecutor>;
