import Router from '@koa/router';
import type Koa from 'koa';
import {
  ApiError,
  IdempotencyKey,
  apiRoutes,
  parseOrThrow,
  parseRouteQuery,
  routePath,
  type ApiRoutes,
  type OperationId,
  type RouteReply,
  type RouteRequest,
  type RouteSpec,
} from '@jobflow/shared';
import { authorize, needsResource, type Action } from '../auth/access-policy';
import { fingerprintOf, type Idempotency, type RememberedAnswer } from '../idempotency/idempotency.store';

/** What a handler gets beside the context: the request as the route's schemas parse it, and the headers it declares. */
export type HandlerRequest<R extends RouteSpec> = RouteRequest<R> & {
  /** `Idempotency-Key`, on routes that honour it; null when not sent. */
  idempotencyKey: string | null;
  /** The versions `If-Match` accepts (`*`: null, as is no header); an empty list matches nothing. */
  ifMatch: number[] | null;
};

export type RouteHandler<R extends RouteSpec> = (ctx: Koa.Context, request: HandlerRequest<R>) => Promise<RouteReply<R>> | RouteReply<R>;

/** One handler for every operation of the contract: a route missing here is a compile error. */
export type RouteHandlers = { [K in OperationId]: RouteHandler<ApiRoutes[K]> };

const MAX_QUERY_CHARS = 1000;

/** The query as single strings: a repeated, overlong or NUL-bearing parameter is a 400; an empty one counts as absent. */
function rawQuery(ctx: Koa.Context): Record<string, string> {
  const query: Record<string, string> = {};
  for (const [name, value] of Object.entries(ctx.query)) {
    if (Array.isArray(value)) throw new ApiError('bad_request', `Query parameter "${name}" is given more than once.`);
    if (value === undefined || value === '') continue;
    if (value.length > MAX_QUERY_CHARS) throw new ApiError('bad_request', `Query parameter "${name}" is longer than ${MAX_QUERY_CHARS} characters.`);
    if (value.includes('\u0000')) throw new ApiError('bad_request', `Query parameter "${name}" may not contain NUL characters.`);
    query[name] = value;
  }
  return query;
}

/** `If-Match: "3"`, `"3", "4"` or `*`; weak tags never match (a change needs the strong comparison). */
function parseIfMatch(header: string): number[] | null {
  if (!header) return null;
  if (header.trim() === '*') return null;
  return header
    .split(',')
    .map((tag) => /^\s*"(\d{1,15})"\s*$/.exec(tag)?.[1])
    .filter((v): v is string => v !== undefined)
    .map(Number);
}

function check(spec: RouteSpec): Koa.Middleware {
  const action = spec.access === 'open' || spec.access === 'metricsToken' ? null : (spec.access as Action);
  return async (ctx, next) => {
    if (action) {
      if (!ctx.state.principal) {
        throw new ApiError(
          'unauthorized',
          ctx.state.isCredentialRefused
            ? 'The token is invalid, expired or revoked, the session has ended, or its user is disabled.'
            : 'Sign in first: send "Authorization: Bearer <token>".',
        );
      }
      // Ownership decisions need the resource: the handler makes them once it has read it.
      if (!needsResource(action)) authorize(ctx.state.principal, action);
    }
    return next();
  };
}

function handle<R extends RouteSpec>(spec: R, handler: RouteHandler<R>, idempotency: Idempotency): Koa.Middleware {
  return async (ctx) => {
    const params = spec.params ? spec.params.safeParse(ctx.params) : null;
    if (params && !params.success) throw new ApiError('not_found', `Nothing at ${ctx.path}: no record has that id.`);
    const query = parseRouteQuery(spec, rawQuery(ctx));
    if (!query.ok) throw new ApiError('bad_request', `Query parameter "${query.name}": ${query.message}`);
    let idempotencyKey: string | null = null;
    if (spec.headers?.includes('idempotencyKey') && ctx.get('idempotency-key') !== '') {
      const key = IdempotencyKey.safeParse(ctx.get('idempotency-key'));
      if (!key.success) throw new ApiError('bad_request', `Header "Idempotency-Key" ${key.error.issues[0]?.message ?? 'is malformed'}.`);
      idempotencyKey = key.data;
    }
    const request = {
      params: params?.data ?? {},
      query: query.value,
      body: spec.body ? parseOrThrow(spec.body, ctx.state.body ?? {}) : undefined,
      idempotencyKey,
      ifMatch: spec.headers?.includes('ifMatch') ? parseIfMatch(ctx.get('if-match')) : null,
    } as HandlerRequest<R>;
    const respond = async (): Promise<RememberedAnswer> => {
      ctx.status = spec.status;
      const reply = await handler(ctx, request);
      if (spec.response === null) {
        ctx.body = null;
        ctx.status = spec.status;
      } else if (reply !== undefined) {
        ctx.body = reply;
      }
      return { status: ctx.status, body: ctx.body };
    };
    const principal = ctx.state.principal;
    if (idempotencyKey && principal) {
      const answer = await idempotency.once(principal.id, idempotencyKey, fingerprintOf(ctx.method, ctx.path, ctx.state.body ?? {}), respond);
      if (answer.isReplay) {
        ctx.status = answer.status;
        ctx.body = answer.body;
        ctx.set('Idempotent-Replayed', 'true');
      }
    } else {
      await respond();
    }
    const body = ctx.body as { id?: string; version?: number } | null;
    if (spec.location && ctx.status === 201 && body?.id) ctx.set('Location', routePath(spec.location, { id: body.id }));
    if (spec.hasETag && typeof body?.version === 'number') ctx.set('ETag', `"${body.version}"`);
  };
}

/** The routes of the contract, each registered with its access check, its parsing and its handler. */
export function apiRouter(handlers: RouteHandlers, { idempotency }: { idempotency: Idempotency }): Router {
  const router = new Router();
  for (const id of Object.keys(apiRoutes) as OperationId[]) {
    const spec: RouteSpec = apiRoutes[id];
    router.register(spec.path, [spec.method.toUpperCase()], [check(spec), handle(spec, handlers[id] as RouteHandler<RouteSpec>, idempotency)], { name: id });
  }
  return router;
}
