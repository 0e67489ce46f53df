import type { ArtifactDto, LogStream } from '@jobflow/shared';
import type { ArtifactBody } from '@jobflow/core/artifacts';

/** What a handler gets for one attempt of a run. */
export interface JobContext<P> {
  runId: string;
  /** The params, already validated against the type's schema. */
  params: P;
  /** 1 for the first attempt, 2 for the first retry, ... */
  attempt: number;
  maxAttempts: number;
  /** Aborts on timeout, cancel, worker shutdown or when this attempt is superseded. Stop promptly. */
  signal: AbortSignal;
  /** Appends one log line (a multi-line string becomes several lines). */
  log(line: string, stream?: LogStream): void;
  /** Reports progress, a number in [0, 1]. */
  progress(fraction: number): void;
  /** Sets (merges into) the run's result, also kept when the handler later throws. */
  setResult(result: Record<string, unknown>): void;
  /**
   * Attaches a file to the run, streamed to the artifact store (a stream is
   * never held whole in memory), and announces it as `artifact:added` once
   * stored. `name` is a plain file name, unique in the run; `contentType`
   * defaults to one guessed from its extension. Rejects with
   * ArtifactRefusedError, storing nothing, for a name that could leave a
   * folder or holds control characters, a name already used in the run, a
   * file over ARTIFACT_MAX_BYTES (or the run's artifacts over
   * ARTIFACT_MAX_RUN_BYTES), or an attempt that is over.
   */
  artifact(name: string, body: ArtifactBody, options?: { contentType?: string }): Promise<ArtifactDto>;
}

/** Runs one attempt; returns the result object (merged over `setResult`) or throws. */
export type JobHandler<P> = (ctx: JobContext<P>) => Promise<Record<string, unknown> | void>;

/**
 * Thrown by a handler to fail the run at once, whatever attempts remain.
 * Anything else thrown is retried while attempts remain.
 */
export class NonRetryableError extends Error {
  constructor(
    message: string,
    readonly result?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A failure whose message is meant for the log and the run's error, with a result to keep. */
export class HandlerError extends Error {
  constructor(
    message: string,
    readonly result?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
