import { describe, expect, it } from 'vitest';
import {
  backoffMs,
  connectionErrorOf,
  isSafeToRepeat,
  newIdempotencyKey,
  nextDelayMs,
  passingFailureOf,
  retryAfterMsOf,
  retryPolicyOf,
  type RetryPolicy,
} from './retry';

const policy: RetryPolicy = { maxElapsedMs: 30_000, initialDelayMs: 250, maxDelayMs: 5_000, onRetry: null };

describe('which requests are sent again', () => {
  it('reads, and changes that carry an Idempotency-Key; no other change', () => {
    expect(isSafeToRepeat('GET', false)).toBe(true);
    expect(isSafeToRepeat('HEAD', false)).toBe(true);
    expect(isSafeToRepeat('POST', true)).toBe(true);
    for (const method of ['POST', 'PATCH', 'PUT', 'DELETE']) expect(isSafeToRepeat(method, false)).toBe(false);
  });

  it('after a gateway without a server or a server not ready, and a 409 with Retry-After for a request with a key only', () => {
    expect([502, 503, 504].map((status) => passingFailureOf(status, false, false))).toEqual(['HTTP 502', 'HTTP 503', 'HTTP 504']);
    for (const status of [400, 401, 404, 412, 422, 429, 500]) expect(passingFailureOf(status, true, true)).toBeNull();
    expect(passingFailureOf(409, true, true)).toMatch(/^HTTP 409/);
    expect(passingFailureOf(409, false, true)).toBeNull();
    expect(passingFailureOf(409, true, false)).toBeNull();
  });

  it('after a connection refused or lost, wherever fetch puts its code', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    expect(connectionErrorOf(refused)).toBe('ECONNREFUSED');
    expect(connectionErrorOf(new TypeError('fetch failed', { cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }) }))).toBe(
      'UND_ERR_SOCKET',
    );
    expect(connectionErrorOf(new TypeError('fetch failed', { cause: new AggregateError([refused]) }))).toBe('ECONNREFUSED');
    expect(connectionErrorOf(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toBe('ECONNRESET');
    expect(connectionErrorOf(Object.assign(new Error('getaddrinfo ENOTFOUND nowhere.invalid'), { code: 'ENOTFOUND' }))).toBeNull();
    expect(connectionErrorOf(new TypeError('cannot fetch ftp: URLs'))).toBeNull();
    expect(connectionErrorOf(new DOMException('aborted', 'AbortError'))).toBeNull();
  });
});

describe('how long the client waits', () => {
  it('doubles from the first wait up to the longest, each less a random part of up to half', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((attempt) => backoffMs(policy, attempt, () => 1))).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000, 5000]);
    expect([1, 2, 3, 7].map((attempt) => backoffMs(policy, attempt, () => 0))).toEqual([125, 250, 500, 2500]);
  });

  it('as long as Retry-After asks when that is longer, and never past its time', () => {
    expect(retryAfterMsOf('3')).toBe(3000);
    expect(retryAfterMsOf(new Date(Date.UTC(2026, 0, 1, 0, 0, 10)).toUTCString(), Date.UTC(2026, 0, 1))).toBe(10_000);
    expect(retryAfterMsOf('soon')).toBeNull();
    expect(retryAfterMsOf(null)).toBeNull();
    expect(nextDelayMs(policy, 1, 0, 8000)).toBe(8000);
    expect(nextDelayMs(policy, 1, 25_000, 8000)).toBeNull();
    expect(nextDelayMs({ ...policy, maxElapsedMs: 1000 }, 8, 0, null)).toBeNull();
  });

  it('30 s unless told otherwise; false or no time at all turns it off', () => {
    expect(retryPolicyOf(undefined)).toMatchObject({ maxElapsedMs: 30_000 });
    expect(retryPolicyOf({ maxElapsedMs: 60_000 })).toMatchObject({ maxElapsedMs: 60_000, initialDelayMs: 250 });
    expect(retryPolicyOf(false)).toBeNull();
    expect(retryPolicyOf({ maxElapsedMs: 0 })).toBeNull();
  });
});

describe('newIdempotencyKey', () => {
  it('is a random UUID v4, another each time', () => {
    const keys = Array.from({ length: 100 }, () => newIdempotencyKey());
    for (const key of keys) expect(key).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(keys).size).toBe(100);
  });
});
