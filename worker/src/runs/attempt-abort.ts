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

export const abortKindOf = (signal: AbortSignal): AbortKind | null => (signal.aborted && signal.reason instanceof AttemptAborted ? signal.reason.kind : null);
