/**
 * When the client sends a request again: a proxy with no server behind it
 * (502, 503, 504), or a server restarting (connection refused or reset), is
 * gone in a few seconds, and a request that is safe to repeat need not fail
 * for it. Safe means a read (GET, HEAD) or a request with an
 * `Idempotency-Key`, whose repeat answers what the first one did; nothing
 * else is ever sent twice.
 */

/** How long and how often the client tries a safe request again (`ClientOptions.retry`). */
export interface RetryOptions {
  /**
   * The longest time to keep trying one request, from its first attempt
   * (default 30 000 ms); a wait that would end later is not started, and the
   * last failure is thrown.
   */
  maxElapsedMs?: number;
  /** The wait before the first retry (default 250 ms); each further one doubles, up to `maxDelayMs`, less a random part of up to half. */
  initialDelayMs?: number;
  /** The longest wait between two attempts (default 5 000 ms), unless the server's `Retry-After` asks for longer. */
  maxDelayMs?: number;
  /** Called before each wait, e.g. to tell a user why nothing happens yet. */
  onRetry?: (notice: RetryNotice) => void;
}

/** What `onRetry` is told: what failed, and when the next attempt is. */
export interface RetryNotice {
  method: string;
  /** The request's path, without the query. */
  path: string;
  /** The attempt that failed: 1 for the first. */
  attempt: number;
  /** `HTTP 503`, or the connection error (`ECONNREFUSED`). */
  reason: string;
  /** The wait before the next attempt. */
  delayMs: number;
  /** What is left of `maxElapsedMs` once the wait is over. */
  remainingMs: number;
}

export interface RetryPolicy {
  maxElapsedMs: number;
  initialDelayMs: number;
  maxDelayMs: number;
  onRetry: ((notice: RetryNotice) => void) | null;
}

export const DEFAULT_RETRY_MAX_ELAPSED_MS = 30_000;

/** The policy of `ClientOptions.retry`: the defaults, or none at all for `false` (or a zero time). */
export function retryPolicyOf(options: RetryOptions | false | undefined): RetryPolicy | null {
  if (options === false) return null;
  const policy: RetryPolicy = {
    maxElapsedMs: options?.maxElapsedMs ?? DEFAULT_RETRY_MAX_ELAPSED_MS,
    initialDelayMs: options?.initialDelayMs ?? 250,
    maxDelayMs: options?.maxDelayMs ?? 5_000,
    onRetry: options?.onRetry ?? null,
  };
  return policy.maxElapsedMs > 0 ? policy : null;
}

/** The methods that only read. */
export const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD']);

/** A read, or a request whose repeat answers what the first one did. */
export const isSafeToRepeat = (method: string, hasIdempotencyKey: boolean) => SAFE_METHODS.has(method) || hasIdempotencyKey;

/**
 * Why an answer is worth waiting out: a proxy or gateway without a server
 * behind it, a server not ready; or, for a request with an `Idempotency-Key`,
 * the first request with the key still being answered (409 with `Retry-After`).
 */
export function passingFailureOf(status: number, hasRetryAfter: boolean, hasIdempotencyKey: boolean): string | null {
  if (status === 502 || status === 503 || status === 504) return `HTTP ${status}`;
  if (status === 409 && hasRetryAfter && hasIdempotencyKey) return 'HTTP 409 (the same Idempotency-Key is still being answered)';
  return null;
}

const CONNECTION_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT']);

/**
 * The code of a connection that could not be opened or was lost before the
 * answer (Node's `socket hang up` is an ECONNRESET), looked for in the error,
 * its causes (global fetch wraps it in a TypeError) and the errors of an
 * AggregateError (one per address tried); null for anything else.
 */
export function connectionErrorOf(error: unknown, depth = 0): string | null {
  if (depth > 4 || typeof error !== 'object' || error === null) return null;
  const { code, cause, errors } = error as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === 'string' && CONNECTION_ERRORS.has(code)) return code;
  for (const inner of Array.isArray(errors) ? errors : []) {
    const found = connectionErrorOf(inner, depth + 1);
    if (found) return found;
  }
  return connectionErrorOf(cause, depth + 1);
}

/** `Retry-After` in milliseconds: seconds, or an HTTP date; null when absent or unreadable. */
export function retryAfterMsOf(value: string | null, nowMs = Date.now()): number | null {
  if (value === null) return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, at - nowMs);
}

/** The wait after failed attempt number `attempt`: exponential, capped, with jitter so that many clients do not come back at once. */
export function backoffMs(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * The wait before the next attempt, or null to give up: the server's
 * `Retry-After` when it asks for longer than the backoff, and never past the
 * policy's time.
 */
export function nextDelayMs(policy: RetryPolicy, attempt: number, elapsedMs: number, retryAfterMs: number | null): number | null {
  const delayMs = Math.max(backoffMs(policy, attempt), retryAfterMs ?? 0);
  return elapsedMs + delayMs <= policy.maxElapsedMs ? delayMs : null;
}

/**
 * A fresh `Idempotency-Key`: a random UUID (v4). Made from `getRandomValues`,
 * which browsers also offer to pages served over plain HTTP.
 */
export function newIdempotencyKey(): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
