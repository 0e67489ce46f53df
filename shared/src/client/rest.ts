import { z } from 'zod';
import { apiRoutes, routePath, type ApiRoutes, type RouteInput, type RouteOutput, type RouteQuery, type RouteSpec } from '../api-routes';
import type { CreateTokenBody, CreateUserBody, LoginBody, StartRunBody, UpdateJobBody, UpdateUserBody } from '../dto';
import type { JobBody as JobBodySchema } from '../dto';
import { RunExportLine } from '../artifacts';
import { ErrorBody } from '../errors';
import { ApiClientError } from './client-error';
import {
  connectionErrorOf,
  isSafeToRepeat,
  newIdempotencyKey,
  nextDelayMs,
  passingFailureOf,
  retryAfterMsOf,
  retryPolicyOf,
  SAFE_METHODS,
  type RetryNotice,
  type RetryOptions,
  type RetryPolicy,
} from './retry';

/** How to reach a Jobflow server. */
export interface ClientOptions {
  /** Base URL, e.g. `http://127.0.0.1:3000`; in the browser on the same origin, `location.origin`. */
  url: string;
  /** A session JWT from `auth.login` or a personal API token (`jf_...`); can be set later with `setToken`. */
  token?: string | null;
  /** The fetch to use; defaults to the global one. */
  fetch?: typeof fetch;
  /**
   * Trying again a request that is safe to repeat (a GET or HEAD, or one with
   * an `Idempotency-Key`, as `jobs.run` and `runs.rerun` send) when a proxy
   * answers 502, 503 or 504 or the connection is refused or reset, as during
   * a server's restart: with growing waits (and the server's `Retry-After`),
   * for up to 30 s by default. `false` turns it off. Other requests are sent
   * once, whatever happens.
   */
  retry?: RetryOptions | false;
}

/** Keyset pagination of every list: `limit` 1..200 (server default 50), `cursor` from the previous page. */
export type PageQuery = RouteQuery<ApiRoutes['listUsers']>;
export type JobListQuery = RouteQuery<ApiRoutes['listJobs']>;
export type RunListQuery = RouteQuery<ApiRoutes['listRuns']>;
export type LogSearchQuery = RouteQuery<ApiRoutes['searchLogs']>;
export type TokenListQuery = RouteQuery<ApiRoutes['listTokens']>;
export type AuditQuery = RouteQuery<ApiRoutes['listAudit']>;
export type RunStatsQuery = RouteQuery<ApiRoutes['runStats']>;
export type ScheduleNextQuery = RouteQuery<ApiRoutes['nextScheduleTimes']>;
export type LogQuery = RouteQuery<ApiRoutes['getRunLogs']>;

/** Options of starting a run (`jobs.run`, `runs.rerun`). */
export interface StartOptions {
  /**
   * Sent as `Idempotency-Key`: a retry with the same key and body within 24 h
   * answers the run the first request started instead of starting another.
   * Without one, each call sends a key of its own, so that the client's own
   * retries of it start one run at most.
   */
  idempotencyKey?: string;
}

/** Options of changing a job (`jobs.update`). */
export interface UpdateOptions {
  /** The job's `version` the change is based on (sent as `If-Match`): a job changed meanwhile is refused with `precondition_failed` (412). */
  ifMatch?: number;
}

/** What `/healthz` and `/readyz` say; these never throw for a 503. */
export interface HealthStatus {
  ok: boolean;
  status: number;
  body: unknown;
}

/** A job as sent to `POST /api/jobs`: fields with defaults may be left out. */
export type JobInput = z.input<typeof JobBodySchema>;

type Query = Record<string, string | number | boolean | null | undefined>;
type AuthErrorListener = (error: ApiClientError) => void;

/** Holds the base URL and the token, and turns HTTP answers into values or ApiClientErrors. */
export class Transport {
  readonly baseUrl: string;
  private currentToken: string | null;
  private hasCookieSession = false;
  private readonly fetchFn: typeof fetch;
  private readonly retryPolicy: RetryPolicy | null;
  private readonly tokenListeners = new Set<(token: string | null) => void>();
  private readonly authErrorListeners = new Set<AuthErrorListener>();

  constructor(options: ClientOptions) {
    this.baseUrl = options.url.replace(/\/+$/, '');
    this.currentToken = options.token ?? null;
    this.fetchFn = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.retryPolicy = retryPolicyOf(options.retry);
  }

  get token(): string | null {
    return this.currentToken;
  }

  setToken(token: string | null): void {
    if (token === this.currentToken) return;
    this.currentToken = token;
    for (const listener of this.tokenListeners) listener(token);
  }

  /** Whether requests and the socket carry a credential: a token, or the browser's session cookie. */
  get isAuthenticated(): boolean {
    return this.currentToken !== null || this.hasCookieSession;
  }

  /** In a browser signed in with `auth.loginWithCookie`: the HttpOnly session cookie is the credential (no token). */
  setCookieSession(isActive: boolean): void {
    if (isActive === this.hasCookieSession) return;
    this.hasCookieSession = isActive;
    for (const listener of this.tokenListeners) listener(this.currentToken);
  }

  onTokenChange(listener: (token: string | null) => void): () => void {
    this.tokenListeners.add(listener);
    return () => this.tokenListeners.delete(listener);
  }

  /** Called when the server refuses the token (REST 401 or socket `unauthorized`). */
  onAuthError(listener: AuthErrorListener): () => void {
    this.authErrorListeners.add(listener);
    return () => this.authErrorListeners.delete(listener);
  }

  reportAuthError(error: ApiClientError): void {
    for (const listener of this.authErrorListeners) listener(error);
  }

  /** A plain unauthenticated GET, whatever its status. */
  fetchRaw(path: string): Promise<Response> {
    return this.fetchFn(this.url(path), { method: 'GET' });
  }

  url(path: string, query?: Query): string {
    let url = this.baseUrl + path;
    if (query) {
      const search = new URLSearchParams();
      for (const [key, value] of Object.entries(query)) {
        if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
      }
      const text = search.toString();
      if (text) url += '?' + text;
    }
    return url;
  }

  /**
   * Sends a request and returns the raw response when it is a 2xx; throws
   * ApiClientError otherwise. A request safe to repeat is sent again while
   * the failure is one that passes (see `ClientOptions.retry`).
   */
  async send(
    method: string,
    path: string,
    options: { query?: Query; body?: unknown; isPublic?: boolean; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    // Every change says it is JSON, body or not: with a cookie session the server requires it (no form can send it cross-site).
    if (options.body !== undefined || !SAFE_METHODS.has(method)) headers['content-type'] = 'application/json';
    const sentToken = this.currentToken;
    if (sentToken && !options.isPublic) headers.authorization = `Bearer ${sentToken}`;
    const hasIdempotencyKey = Object.keys(headers).some((name) => name.toLowerCase() === 'idempotency-key');
    const policy = isSafeToRepeat(method, hasIdempotencyKey) ? this.retryPolicy : null;
    const startedAt = Date.now();
    /** The next attempt after a failure of attempt `attempt`, or null to give up (not safe to repeat, a failure that stays, no time left). */
    const nextAttempt = (reason: string | null, attempt: number, retryAfterMs: number | null): RetryNotice | null => {
      if (!policy || !reason) return null;
      const elapsedMs = Date.now() - startedAt;
      const delayMs = nextDelayMs(policy, attempt, elapsedMs, retryAfterMs);
      return delayMs === null ? null : { method, path, attempt, reason, delayMs, remainingMs: policy.maxElapsedMs - elapsedMs - delayMs };
    };
    const wait = (notice: RetryNotice) => {
      policy?.onRetry?.(notice);
      return new Promise((resolve) => setTimeout(resolve, notice.delayMs));
    };
    let response: Response;
    for (let attempt = 1; ; attempt++) {
      try {
        response = await this.fetchFn(this.url(path, options.query), {
          method,
          headers,
          credentials: 'same-origin',
          body: options.body === undefined ? undefined : JSON.stringify(options.body),
        });
      } catch (cause) {
        const next = nextAttempt(connectionErrorOf(cause), attempt, null);
        if (!next) {
          const message = cause instanceof Error ? cause.message : String(cause);
          const tried = attempt > 1 ? ` (tried ${attempt} times in ${formatSec(Date.now() - startedAt)})` : '';
          throw new ApiClientError('network_error', `Could not reach the server: ${message}${tried}`, 0);
        }
        await wait(next);
        continue;
      }
      if (response.ok) return response;
      const retryAfter = response.headers.get('retry-after');
      const next = nextAttempt(passingFailureOf(response.status, retryAfter !== null, hasIdempotencyKey), attempt, retryAfterMsOf(retryAfter));
      if (!next) break;
      // The answer is not read: let its connection go.
      await response.body?.cancel().catch(() => undefined);
      await wait(next);
    }
    const error = await toClientError(response);
    // Only a token the server refused is an auth problem; a failed sign-in is not.
    if (
      error.status === 401 &&
      error.code !== 'invalid_credentials' &&
      (sentToken ? sentToken === this.currentToken : this.hasCookieSession && !options.isPublic)
    ) {
      this.reportAuthError(error);
    }
    throw error;
  }

  /** Calls one operation of the contract: its path with the params filled in, its query and body; the answer is parsed with its schema. */
  async call<R extends RouteSpec>(spec: R, input: RouteInput<R>): Promise<RouteOutput<R>> {
    const method = spec.method.toUpperCase();
    const path = routePath(spec.path, input.params as Record<string, string> | undefined);
    const response = await this.send(method, path, {
      query: input.query as Query | undefined,
      // A change without a body sends `{}`: JSON, like every change.
      body: spec.body ? input.body : method === 'GET' ? undefined : {},
      isPublic: spec.access === 'open',
      headers: input.headers,
    });
    if (spec.response === null || response.status === 204) return undefined as RouteOutput<R>;
    if (spec.response === 'text') return (await response.text()) as RouteOutput<R>;
    if (spec.response === 'file' || spec.response === 'ndjson') return response as RouteOutput<R>;
    let json: unknown;
    try {
      json = await response.json();
    } catch {
      throw new ApiClientError('invalid_response', `${method} ${path}: the answer is not JSON.`, response.status);
    }
    const parsed = spec.response.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue ? `/${issue.path.join('/')}: ${issue.message}` : '';
      throw new ApiClientError('invalid_response', `${method} ${path}: the answer does not match the contract ${where}`.trim(), response.status);
    }
    return parsed.data as RouteOutput<R>;
  }
}

async function toClientError(response: Response): Promise<ApiClientError> {
  const retryAfter = response.headers.get('retry-after');
  const retryAfterSec = retryAfter !== null && /^\d+$/.test(retryAfter.trim()) ? Number(retryAfter) : null;
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // not JSON: fall through to a generic error
  }
  const parsed = ErrorBody.safeParse(body);
  if (parsed.success) {
    const { code, message, details } = parsed.data.error;
    return new ApiClientError(code, message, response.status, details ?? [], retryAfterSec);
  }
  return new ApiClientError(statusCode(response.status), `HTTP ${response.status} ${response.statusText}`.trim(), response.status, [], retryAfterSec);
}

function statusCode(status: number): string {
  const byStatus: Record<number, string> = {
    400: 'bad_request',
    401: 'unauthorized',
    403: 'forbidden',
    404: 'not_found',
    405: 'method_not_allowed',
    409: 'conflict',
    412: 'precondition_failed',
    413: 'payload_too_large',
    415: 'unsupported_media_type',
    422: 'validation_failed',
    429: 'rate_limited',
    503: 'unavailable',
  };
  return byStatus[status] ?? 'internal';
}

const r = apiRoutes;

/** One typed method per endpoint of the public contract, each a call of its route. */
export function createRestApi(t: Transport) {
  return {
    auth: {
      /** `POST /api/auth/login`; does not store the token: call `setToken` with it. */
      login: async (body: LoginBody) => {
        const answer = await t.call(r.login, { body: { ...body, session: 'token' } });
        if (!('token' in answer)) throw new ApiClientError('invalid_response', 'POST /api/auth/login: the answer has no token.', 200);
        return answer;
      },
      /**
       * Browser sign-in: the session goes into an HttpOnly cookie the page cannot read (no token is returned);
       * follow with `setCookieSession(true)`.
       */
      loginWithCookie: (body: Omit<LoginBody, 'session'>) => t.call(r.login, { body: { ...body, session: 'cookie' } }),
      /** `POST /api/auth/logout`: ends every session of the signed-in user, on every server; API tokens stay. */
      logout: () => t.call(r.logout, {}),
      /** `GET /api/auth/me`: the signed-in user. */
      me: async () => (await t.call(r.me, {})).user,
    },
    users: {
      list: (query: PageQuery = {}) => t.call(r.listUsers, { query }),
      create: (body: CreateUserBody) => t.call(r.createUser, { body }),
      update: (id: string, body: UpdateUserBody) => t.call(r.updateUser, { params: { id }, body }),
      delete: (id: string) => t.call(r.deleteUser, { params: { id } }),
    },
    tokens: {
      /** The token's secret is in the answer this one time only. */
      create: (body: CreateTokenBody) => t.call(r.createToken, { body }),
      /** The caller's tokens; admins may pass `userId` (or `all`) to see other users'. */
      list: (query: TokenListQuery = {}) => t.call(r.listTokens, { query }),
      delete: (id: string) => t.call(r.revokeToken, { params: { id } }),
    },
    jobTypes: {
      list: async () => (await t.call(r.listJobTypes, {})).items,
    },
    jobs: {
      list: (query: JobListQuery = {}) => t.call(r.listJobs, { query }),
      create: (body: JobInput) => t.call(r.createJob, { body }),
      get: (id: string) => t.call(r.getJob, { params: { id } }),
      /** `PATCH /api/jobs/:id`; with `ifMatch` (the job's `version`), a job changed meanwhile is a `precondition_failed` error. */
      update: (id: string, body: UpdateJobBody, options: UpdateOptions = {}) => t.call(r.updateJob, { params: { id }, body, headers: ifMatchHeaders(options) }),
      delete: (id: string) => t.call(r.deleteJob, { params: { id } }),
      /** `GET /api/jobs/:id/storage`: what the job's runs hold in the database (runs, lines, bytes). */
      storage: (id: string) => t.call(r.jobStorage, { params: { id } }),
      /** `POST /api/jobs/:id/runs`: a new run in `queued`; `params` replaces the job's params for this run only. */
      run: (id: string, body: StartRunBody = {}, options: StartOptions = {}) =>
        t.call(r.startRun, { params: { id }, body, headers: idempotencyHeaders(options) }),
      /** A job's schedule; the schedule itself is set with `create` / `update`. */
      schedule: {
        /** `GET /api/jobs/:id/schedule/fires`: every due time and what became of it, latest first. */
        fires: (id: string, query: PageQuery = {}) => t.call(r.listScheduleFires, { params: { id }, query }),
        /** `GET /api/jobs/:id/schedule/next`: the coming due times (none while paused or unscheduled). */
        next: (id: string, query: ScheduleNextQuery = {}) => t.call(r.nextScheduleTimes, { params: { id }, query }),
        /**
         * `POST /api/jobs/:id/schedule/pause`: keeps the schedule but starts nothing until resumed; `409` without a schedule;
         * with `ifMatch` (the job's `version`), a job changed meanwhile is a `precondition_failed` error.
         */
        pause: (id: string, options: UpdateOptions = {}) => t.call(r.pauseSchedule, { params: { id }, headers: ifMatchHeaders(options) }),
        /** `POST /api/jobs/:id/schedule/resume`: due times count again from now (those while paused are not recorded); `ifMatch` as for `pause`. */
        resume: (id: string, options: UpdateOptions = {}) => t.call(r.resumeSchedule, { params: { id }, headers: ifMatchHeaders(options) }),
      },
    },
    runs: {
      list: (query: RunListQuery = {}) => t.call(r.listRuns, { query }),
      get: (id: string) => t.call(r.getRun, { params: { id } }),
      /** `GET /api/runs/:id/attempts`: every attempt, oldest first, with its worker, times and outcome. */
      attempts: async (id: string) => (await t.call(r.listRunAttempts, { params: { id } })).items,
      /** `GET /api/runs/stats`: runs queued and running now, and finished runs per hour over the window, by outcome. */
      stats: (query: RunStatsQuery = {}) => t.call(r.runStats, { query }),
      /** Lines with `seq > after`, ascending. */
      logs: (id: string, query: LogQuery = {}) => t.call(r.getRunLogs, { params: { id }, query }),
      /** URL of the whole log as text/plain; it needs the bearer token, so fetch it with `logsText`. */
      logsTextUrl: (id: string) => t.url(routePath(r.getRunLogText.path, { id })),
      /** The whole log as a text/plain Blob, fetched with the token; `full`: each line with its time and stream. */
      logsText: async (id: string, query: { format?: 'text' | 'full' } = {}): Promise<Blob> =>
        (await t.send('GET', routePath(r.getRunLogText.path, { id }), { query: { ...query } })).blob(),
      cancel: (id: string) => t.call(r.cancelRun, { params: { id } }),
      /** A new run of the same job with the old run's params, or the given ones. */
      rerun: (id: string, body: StartRunBody = {}, options: StartOptions = {}) =>
        t.call(r.rerun, { params: { id }, body, headers: idempotencyHeaders(options) }),
      /**
       * `GET /api/runs/:id/export`, read as it arrives: the run, then every
       * log line in `seq` order, then the list of its artifacts, each line
       * checked against the contract.
       */
      async *export(id: string): AsyncGenerator<RunExportLine> {
        const response = await t.send('GET', routePath(r.exportRun.path, { id }), { headers: { accept: 'application/x-ndjson' } });
        for await (const line of ndjsonLines(response)) {
          const parsed = RunExportLine.safeParse(line);
          if (!parsed.success) throw new ApiClientError('invalid_response', `GET /api/runs/${id}/export: a line does not match the contract`, response.status);
          yield parsed.data;
        }
      },
    },
    artifacts: {
      /** `GET /api/runs/:id/artifacts`: the files the run attached, in the order attached. */
      list: async (runId: string) => (await t.call(r.listArtifacts, { params: { id: runId } })).items,
      /**
       * `GET /api/runs/:id/artifacts/:name`: one artifact, as a stream read
       * as it arrives (never whole in memory); `range` asks for bytes
       * `start` to `end` (inclusive; to the end when left out).
       */
      download: async (runId: string, name: string, options: { range?: { start: number; end?: number } } = {}): Promise<ArtifactDownload> => {
        const range = options.range;
        const headers: Record<string, string> = { accept: '*/*' };
        if (range) headers.range = `bytes=${range.start}-${range.end ?? ''}`;
        const response = await t.send('GET', routePath(r.getArtifact.path, { id: runId, name }), { headers });
        return {
          body: response.body ?? new ReadableStream<Uint8Array>({ start: (c) => c.close() }),
          size: Number(response.headers.get('content-length') ?? NaN),
          contentType: response.headers.get('content-type') ?? 'application/octet-stream',
          isPartial: response.status === 206,
        };
      },
      /** The URL of one artifact; it needs the bearer token (or the session cookie in the UI). */
      url: (runId: string, name: string) => t.url(routePath(r.getArtifact.path, { id: runId, name })),
    },
    /** `GET /api/queue`: runs waiting in the queue now, in all and per job, with the oldest one's queue time. */
    queue: () => t.call(r.queue, {}),
    /** `GET /api/schedules/upcoming`: the next due times across every enabled job whose schedule is not paused, soonest first. */
    upcoming: (query: RouteQuery<ApiRoutes['upcomingDueTimes']> = {}) => t.call(r.upcomingDueTimes, { query }),
    workers: {
      /** `GET /api/workers`: every worker process that is active, draining or lost. */
      list: async () => (await t.call(r.listWorkers, {})).items,
      /** `POST /api/workers/:id/drain` (admins): the worker finishes the runs it holds and takes no new one until resumed. */
      drain: (id: string) => t.call(r.drainWorker, { params: { id } }),
      /** `POST /api/workers/:id/resume` (admins): the worker takes runs again. */
      resume: (id: string) => t.call(r.resumeWorker, { params: { id } }),
    },
    logs: {
      /** `GET /api/logs/search`: stored lines of every run that contain `q`, newest first, each with its run and where `q` matched. */
      search: (query: LogSearchQuery) => t.call(r.searchLogs, { query }),
    },
    audit: {
      /** `GET /api/audit` (admins): newest first. */
      list: (query: AuditQuery = {}) => t.call(r.listAudit, { query }),
    },
    people: {
      /** `GET /api/people`: display names of the given users, or of everyone enabled when `ids` is left out. */
      list: async (query: { ids?: string[] } = {}) => (await t.call(r.listPeople, { query: { ids: query.ids?.join(',') } })).items,
    },
    health: {
      healthz: () => health(t, r.healthz.path),
      readyz: () => health(t, r.readyz.path),
    },
  };
}

const ifMatchHeaders = (options: UpdateOptions) => (options.ifMatch === undefined ? undefined : { 'if-match': `"${options.ifMatch}"` });

/** One key per call, so that a call's retries start one run at most. */
const idempotencyHeaders = (options: StartOptions) => ({ 'idempotency-key': options.idempotencyKey ?? newIdempotencyKey() });

const formatSec = (ms: number) => `${Math.round(ms / 100) / 10} s`;

export type RestApi = ReturnType<typeof createRestApi>;

/** One artifact being downloaded. */
export interface ArtifactDownload {
  /** The bytes, as they arrive. */
  body: ReadableStream<Uint8Array>;
  /** Bytes in `body`. */
  size: number;
  contentType: string;
  /** A range was asked for and answered (206). */
  isPartial: boolean;
}

/** The JSON values of an NDJSON response, one per line, decoded as they arrive. */
async function* ndjsonLines(response: Response): AsyncGenerator<unknown> {
  if (!response.body) return;
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let pending = '';
  let isFinished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      isFinished = done;
      pending += done ? decoder.decode() : decoder.decode(value, { stream: true });
      const lines = pending.split('\n');
      pending = done ? '' : lines.pop()!;
      for (const line of lines) if (line.trim()) yield JSON.parse(line);
      if (done) return;
    }
  } finally {
    // A reader that stops early closes the connection instead of leaving the rest unread.
    if (!isFinished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

async function health(t: Transport, path: string): Promise<HealthStatus> {
  let response: Response;
  try {
    response = await t.fetchRaw(path);
  } catch (cause) {
    throw new ApiClientError('network_error', `Could not reach the server: ${cause instanceof Error ? cause.message : String(cause)}`, 0);
  }
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // plain text is fine
  }
  return { ok: response.ok, status: response.status, body };
}
