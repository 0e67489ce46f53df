import { randomUUID } from 'node:crypto';
import type Koa from 'koa';
import { type Logger, withLogContext } from '@jobflow/core/platform';
import { isProbePath } from './paths';

/** A caller's request id is kept when it is up to 128 letters, digits and `.` `_` `:` `=` `/` `+` `-`. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:=/+-]{1,128}$/;

/** The request id a client sent, when sane, else a new one. */
export function requestIdOf(header: string | undefined): string {
  return header && SANE_REQUEST_ID.test(header) ? header : randomUUID();
}

/**
 * Gives every request an id (`X-Request-Id` in, or a new one; echoed in the
 * response) carried by every line logged while the request is handled, and
 * logs one line per answered request: method, path, route pattern, status and
 * time (headers too at debug level; credentials redacted).
 */
export function requestLogMiddleware(log: Logger): Koa.Middleware {
  return (ctx, next) => {
    const requestId = requestIdOf(ctx.get('x-request-id') || undefined);
    ctx.state.requestId = requestId;
    ctx.set('X-Request-Id', requestId);
    const startedAt = performance.now();
    return withLogContext({ requestId }, () => {
      // The response closes outside the request's context: its line names the request itself.
      ctx.res.once('close', () => {
        const level = isProbePath(ctx.path) && ctx.status < 400 ? 'debug' : 'info';
        if (!log.isEnabled(level)) return;
        const durationMs = Math.round((performance.now() - startedAt) * 10) / 10;
        const isAborted = !ctx.res.writableFinished;
        log[level](`${ctx.method} ${ctx.path} ${ctx.status} ${durationMs} ms${isAborted ? ' (aborted)' : ''}`, {
          requestId,
          method: ctx.method,
          path: ctx.path,
          route: (ctx as { _matchedRoute?: unknown })._matchedRoute,
          status: ctx.status,
          durationMs,
          ...(isAborted ? { isAborted } : {}),
          ...(log.isEnabled('debug') ? { headers: ctx.headers } : {}),
        });
      });
      return next();
    });
  };
}
