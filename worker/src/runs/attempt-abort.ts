/** Why an attempt's signal was aborted. */
export type AbortKind = 'timeout' | 'cancel' | 'shutdown' | 'superseded';

export class AttemptAborted extends Error {
  constructor(
    readonly kind: AbortKind,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Why `signal` was aborted by the executor, or null while it is not. */
export const abortReasonOf = (signal: AbortSignal): AttemptAborted | null => (signal.aborted && signal.reason instanceof AttemptAborted ? signal.reason : null);
