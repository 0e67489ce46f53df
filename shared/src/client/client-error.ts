import type { ErrorCode, ErrorDetail } from '../errors';

/**
 * Codes a client call can fail with: every code of the public contract, plus
 * the three that only a client can see.
 */
export type ClientErrorCode =
  | ErrorCode
  /** The request never got an answer (server down, network gone, CORS). */
  | 'network_error'
  /** The server answered with something that does not match the contract. */
  | 'invalid_response'
  /** A socket acknowledgement did not arrive in time. */
  | 'timeout';

/** What every failed client call throws: the contract's error, as the server said it. */
export class ApiClientError extends Error {
  constructor(
    /** The contract's `error.code`, or a client-side code. */
    readonly code: ClientErrorCode | (string & {}),
    message: string,
    /** HTTP status; 0 when there was no HTTP answer. */
    readonly status: number,
    /** Field-level problems of a `validation_failed` error (JSON Pointer paths). */
    readonly details: ErrorDetail[] = [],
    /** Seconds to wait before trying again, from `Retry-After` on a 429. */
    readonly retryAfterSec: number | null = null,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Whether `error` is an ApiClientError, optionally with the given code. */
export const isApiClientError = (error: unknown, code?: ClientErrorCode): error is ApiClientError =>
  error instanceof ApiClientError && (code === undefined || error.code === code);
