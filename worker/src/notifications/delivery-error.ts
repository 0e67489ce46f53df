import { egressRefusalOf } from '@jobflow/core/platform';

/** A delivery that did not go through; permanent ones are not retried (a 4xx, a missing configuration). */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly isPermanent = false,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** 4xx answers will not change by retrying, except 408 (timeout) and 429 (rate limited). */
export const isPermanentStatus = (status: number) => status >= 300 && status < 500 && status !== 408 && status !== 429;

/** What went wrong with a request, in a few words (no stack, no secrets); a refused destination is permanent. */
export function describeFetchError(e: unknown, timeoutMs: number): DeliveryError {
  if (e instanceof DeliveryError) return e;
  const refused = egressRefusalOf(e);
  if (refused) return new DeliveryError(refused.message, true);
  const err = e as Error & { cause?: { code?: string; message?: string } };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') return new DeliveryError(`no answer within ${Math.round(timeoutMs / 1000)} s`);
  const cause = err?.cause?.code ?? err?.cause?.message;
  return new DeliveryError(cause ? `${err.message} (${cause})` : String(err?.message ?? e));
}
