import { createHash } from 'node:crypto';
import { ApiError } from '@jobflow/shared';
import type { Sql } from '@jobflow/core/db';
import type { Logger } from '@jobflow/core/platform';
import { RetryLaterError } from '../http/errors.middleware';
import { idempotencyQueries } from './idempotency.queries';

/** How long a key answers the same: 24 hours. */
export const IDEMPOTENCY_WINDOW_SEC = 24 * 3600;
/**
 * A key claimed this long ago and still unanswered belongs to a request whose
 * server stopped in the middle (killed, or its database connection lost): a
 * retry takes it over instead of hearing 409 for the rest of the window.
 */
export const IDEMPOTENCY_ABANDONED_SEC = 60;
const PURGE_INTERVAL_MS = 15 * 60_000;
const PURGE_BATCH = 1000;

/** What a request answered: replayed as it was for a retry with the same key. */
export interface RememberedAnswer {
  status: number;
  body: unknown;
}

/** JSON with object keys sorted, so two bodies that differ only in key order are one request. */
const canonical = (value: unknown): string =>
  Array.isArray(value)
    ? `[${value.map(canonical).join(',')}]`
    : value && typeof value === 'object'
      ? `{${Object.keys(value)
          .sort()
          .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
          .join(',')}}`
      : JSON.stringify(value ?? null);

/** A digest of what the request asks for: method, path and body. */
export const fingerprintOf = (method: string, path: string, body: unknown) =>
  createHash('sha256')
    .update(`${method} ${path}\n${canonical(body)}`)
    .digest('base64url');

/**
 * `Idempotency-Key` for requests that start runs: the first request with a
 * key (per user) runs and its answer is stored; a retry with the same key and
 * request within 24 hours gets that answer again without running; the same
 * key with another request is a 422, and while the first is still being
 * answered a retry is a 409 with `Retry-After: 1` (for up to
 * `IDEMPOTENCY_ABANDONED_SEC`: then the key is taken to be abandoned).
 */
export function createIdempotency(sql: Sql, windowSec = IDEMPOTENCY_WINDOW_SEC, abandonedSec = IDEMPOTENCY_ABANDONED_SEC) {
  return {
    async once(userId: string, key: string, fingerprint: string, run: () => Promise<RememberedAnswer>): Promise<RememberedAnswer & { isReplay: boolean }> {
      if (!(await idempotencyQueries.claim(sql, userId, key, fingerprint, windowSec, abandonedSec))) {
        const row = await idempotencyQueries.read(sql, userId, key);
        if (row && row.fingerprint !== fingerprint) {
          throw new ApiError('validation_failed', 'This Idempotency-Key was used with another request; use a new key for a new request.', [
            { path: '', message: 'Idempotency-Key was used with another method, path or body within 24 hours' },
          ]);
        }
        if (row && row.status !== null) return { status: row.status, body: row.response, isReplay: true };
        if (row) throw new RetryLaterError('conflict', 'A request with this Idempotency-Key is still being answered; retry in a moment.', 1);
        // Released between the two statements (the first request failed): this one runs.
        return this.once(userId, key, fingerprint, run);
      }
      let answer: RememberedAnswer;
      try {
        answer = await run();
      } catch (error) {
        // A refused or failed request started nothing: a retry with the key tries again.
        await idempotencyQueries.release(sql, userId, key);
        throw error;
      }
      await idempotencyQueries.answer(sql, userId, key, answer.status, answer.body);
      return { ...answer, isReplay: false };
    },

    /** Deletes keys older than the window, in batches. */
    async purge(): Promise<number> {
      let total = 0;
      for (let n = PURGE_BATCH; n === PURGE_BATCH; total += n) n = await idempotencyQueries.purge(sql, windowSec, PURGE_BATCH);
      return total;
    },
  };
}

export type Idempotency = ReturnType<typeof createIdempotency>;

/** Purges expired keys every 15 minutes until stopped. */
export function startIdempotencyPurge(idempotency: Idempotency, log: Logger, intervalMs = PURGE_INTERVAL_MS): { stop(): Promise<void> } {
  let running: Promise<void> | null = null;
  const tick = () => {
    if (running) return;
    running = idempotency
      .purge()
      .then((rows) => (rows ? log.info('purged expired idempotency keys', { rows }) : undefined))
      .catch((error) => log.warn('purging idempotency keys failed; will try again', { error: (error as Error).message }))
      .finally(() => (running = null));
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
