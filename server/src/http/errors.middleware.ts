import type Koa from 'koa';
import { ApiError, type ErrorCode } from '@jobflow/shared';
import type { Logger } from '@jobflow/core/platform';
import { isServicePath } from './paths';

const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08006']);

/** Whether `error` says PostgreSQL or Redis cannot be reached right now. */
export function isUnavailable(error: unknown): boolean {
  const e = error as { code?: string; message?: string; name?: string };
  if (e?.code && UNAVAILABLE_CODES.has(e.code)) return true;
  return /Connection is closed|ECONNREFUSED|connect ETIMEDOUT|Connection terminated|The client is closed|Stream isn't writeable|Knex: Timeout acquiring a connection/i.test(
    String(e?.message ?? ''),
  );
}

/** Turns anything thrown into a response of API.md's error shape; only 4xx messages reach clients. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (isUnavailable(error)) return new ApiError('unavailable', 'A backing service (PostgreSQL or Redis) is unreachable right now; try again shortly.');
  return new ApiError('internal', 'Internal error.');
}

export function errorsMiddleware(log: Logger): Koa.Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body == null && isServicePath(ctx.path)) throw new ApiError('not_found', `No route for ${ctx.method} ${ctx.path}.`);
    } catch (error) {
      const apiError = toApiError(error);
      if (apiError.status >= 500) log.error('request failed', { method: ctx.method, path: ctx.path, error });
      ctx.status = apiError.status;
      ctx.body = apiError.toBody();
      if (error instanceof RetryLaterError) ctx.set('Retry-After', String(error.retryAfterSec));
    }
  };
}

/** A refusal that passes: it tells the client when to try again (`Retry-After`). */
export class RetryLaterError extends ApiError {
  constructor(
    code: ErrorCode,
    message: string,
    readonly retryAfterSec: number,
  ) {
    super(code, message);
  }
}

/** A 429 that carries the seconds until the client may try again. */
export class RateLimitedError extends RetryLaterError {
  constructor(message: string, retryAfterSec: number) {
    super('rate_limited', message, retryAfterSec);
  }
}
