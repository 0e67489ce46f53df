import { z } from 'zod';
import {
  AuditEntryDto,
  CookieLoginResponse,
  CreatedTokenDto,
  JobDto,
  JobTypeDto,
  LogPageDto,
  LoginResponse,
  PersonDto,
  RunAttemptDto,
  RunDto,
  RunStatsDto,
  ScheduleFireDto,
  ScheduleNextDto,
  TokenDto,
  UserDto,
  type AuditAction,
  type AuditTargetType,
  type CreateTokenBody,
  type CreateUserBody,
  type LoginBody,
  type Page,
  type RunStatus,
  type StartRunBody,
  type UpdateJobBody,
  type UpdateUserBody,
} from '../dto';
import type { JobBody as JobBodySchema } from '../dto';
import { ErrorBody } from '../errors';
import { ApiClientError } from './client-error';

/** How to reach a Jobflow server. */
export interface ClientOptions {
  /** Base URL, e.g. `http://127.0.0.1:3000`; in the browser on the same origin, `location.origin`. */
  url: string;
  /** A session JWT from `auth.login` or a personal API token (`jf_...`); can be set later with `setToken`. */
  token?: string | null;
  /** The fetch to use; defaults to the global one. */
  fetch?: typeof fetch;
}

const SAFE_METHODS = new Set(['GET', 'HEAD']);

/** Keyset pagination of every list: `limit` 1..200 (server default 50), `cursor` from the previous page. */
export interface PageQuery {
  limit?: number;
  cursor?: string | null;
}
export interface JobListQuery extends PageQuery {
  /** Matches job names. */
  q?: string;
  type?: string;
}
export interface RunListQuery extends PageQuery {
  jobId?: string;
  /** One status, or several comma-separated (`queued,running`). */
  status?: RunStatus | string;
  /** The job's type. */
  type?: string;
  /** How the run was started: `manual`, `rerun`, `schedule` or `api`. */
  trigger?: string;
  /** Who started the run (a user id). */
  userId?: string;
  /** Queued at or after this ISO time. */
  since?: string;
  /** Queued before this ISO time. */
  until?: string;
  /** Finished at or after this ISO time. */
  finishedSince?: string;
  /** Part of the job's name, or the start of the run's id. */
  q?: string;
}
export interface TokenListQuery extends PageQuery {
  /** Admins only: another user's id, or `all` for every user's tokens. */
  userId?: string;
}
export interface AuditQuery extends PageQuery {
  /** A user id: entries of what they did. */
  actor?: string;
  action?: AuditAction;
  targetType?: AuditTargetType;
  targetId?: string;
  /** ISO-8601 times: entries at or after `since`, before `until`. */
  since?: string;
  until?: string;
}
export interface RunStatsQuery {
  /** The window: this many hourly buckets ending with the current hour, 1..744 (server default 24). */
  hours?: number;
}
export interface ScheduleNextQuery {
  /** How many due times, 1..100 (server default 5). */
  count?: number;
}
export interface LogQuery {
  /** Lines with `seq > after`; default 0. */
  after?: number;
  /** Up to 5000. */
  limit?: number;
}

/** What `/healthz` and `/readyz` say; these never throw for a 503. */
export interface HealthStatus {
  ok: boolean;
  status: number;
  body: unknown;
}

/** A job as sent to `POST /api/jobs`: fields with defaults may be left out. */
export type JobInput = z.input<typeof JobBodySchema>;

const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({
    items: z.array(item),
    nextCursor: z
      .string()
      .nullish()
      .transform((v) => v ?? null),
  });
const UserEnvelope = z.object({ user: UserDto });
const AttemptList = z.object({ items: z.array(RunAttemptDto) });
const PersonList = z.object({ items: z.array(PersonDto) });
const JobTypeList = z.object({ items: z.array(JobTypeDto) });
const NoContent = z.unknown();

type Query = Record<string, string | number | boolean | null | undefined>;
type AuthErrorListener = (error: ApiClientError) => void;

/** Holds the base URL and the token, and turns HTTP answers into values or ApiClientErrors. */
export class Transport {
  readonly baseUrl: string;
  private currentToken: string | null;
  private hasCookieSession = false;
  private readonly fetchFn: typeof fetch;
  private readonly tokenListeners = new Set<(token: string | null) => void>();
  private readonly authErrorListeners = new Set<AuthErrorListener>();

  constructor(options: ClientOptions) {
    this.baseUrl = options.url.replace(/\/+$/, '');
    this.currentToken = options.token ?? null;
    this.fetchFn = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
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

  /** Sends a request and returns the raw response when it is a 2xx; throws ApiClientError otherwise. */
  async send(method: string, path: string, options: { query?: Query; body?: unknown; isPublic?: boolean } = {}): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    // Every change says it is JSON, body or not: with a cookie session the server requires it (no form can send it cross-site).
    if (options.body !== undefined || !SAFE_METHODS.has(method)) headers['content-type'] = 'application/json';
    const sentToken = this.currentToken;
    if (sentToken && !options.isPublic) headers.authorization = `Bearer ${sentToken}`;
    let response: Response;
    try {
      response = await this.fetchFn(this.url(path, options.query), {
        method,
        headers,
        credentials: 'same-origin',
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
      });
    } catch (cause) {
      throw new ApiClientError('network_error', `Could not reach the server: ${cause instanceof Error ? cause.message : String(cause)}`, 0);
    }
    if (response.ok) return response;
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

  async request<S extends z.ZodType>(
    method: string,
    path: string,
    schema: S,
    options: { query?: Query; body?: unknown; isPublic?: boolean } = {},
  ): Promise<z.output<S>> {
    const response = await this.send(method, path, options);
    if (response.status === 204 || (schema as z.ZodType) === NoContent) return undefined as z.output<S>;
    let json: unknown;
    try {
      json = await response.json();
    } catch {
      throw new ApiClientError('invalid_response', `${method} ${path}: the answer is not JSON.`, response.status);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue ? `/${issue.path.join('/')}: ${issue.message}` : '';
      throw new ApiClientError('invalid_response', `${method} ${path}: the answer does not match the contract ${where}`.trim(), response.status);
    }
    return parsed.data;
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
    409: 'conflict',
    413: 'payload_too_large',
    415: 'unsupported_media_type',
    422: 'validation_failed',
    429: 'rate_limited',
    503: 'unavailable',
  };
  return byStatus[status] ?? 'internal';
}

const seg = (id: string) => encodeURIComponent(id);

/** One typed method per endpoint of the public contract. */
export function createRestApi(t: Transport) {
  return {
    auth: {
      /** `POST /api/auth/login`; does not store the token: call `setToken` with it. */
      login: (body: LoginBody) => t.request('POST', '/api/auth/login', LoginResponse, { body: { ...body, session: 'token' }, isPublic: true }),
      /**
       * Browser sign-in: the session goes into an HttpOnly cookie the page cannot read (no token is returned);
       * follow with `setCookieSession(true)`.
       */
      loginWithCookie: (body: Omit<LoginBody, 'session'>) =>
        t.request('POST', '/api/auth/login', CookieLoginResponse, { body: { ...body, session: 'cookie' }, isPublic: true }),
      /** `POST /api/auth/logout`: ends every session of the signed-in user, on every server; API tokens stay. */
      logout: (): Promise<void> => t.request('POST', '/api/auth/logout', NoContent) as Promise<void>,
      /** `GET /api/auth/me`: the signed-in user. */
      me: async () => (await t.request('GET', '/api/auth/me', UserEnvelope)).user,
    },
    users: {
      list: (query: PageQuery = {}): Promise<Page<UserDto>> => t.request('GET', '/api/users', pageOf(UserDto), { query: { ...query } }),
      create: (body: CreateUserBody) => t.request('POST', '/api/users', UserDto, { body }),
      update: (id: string, body: UpdateUserBody) => t.request('PATCH', `/api/users/${seg(id)}`, UserDto, { body }),
      delete: (id: string): Promise<void> => t.request('DELETE', `/api/users/${seg(id)}`, NoContent) as Promise<void>,
    },
    tokens: {
      /** The token's secret is in the answer this one time only. */
      create: (body: CreateTokenBody) => t.request('POST', '/api/tokens', CreatedTokenDto, { body }),
      /** The caller's tokens; admins may pass `userId` (or `all`) to see other users'. */
      list: (query: TokenListQuery = {}): Promise<Page<TokenDto>> => t.request('GET', '/api/tokens', pageOf(TokenDto), { query: { ...query } }),
      delete: (id: string): Promise<void> => t.request('DELETE', `/api/tokens/${seg(id)}`, NoContent) as Promise<void>,
    },
    jobTypes: {
      list: async (): Promise<JobTypeDto[]> => (await t.request('GET', '/api/job-types', JobTypeList)).items,
    },
    jobs: {
      list: (query: JobListQuery = {}): Promise<Page<JobDto>> => t.request('GET', '/api/jobs', pageOf(JobDto), { query: { ...query } }),
      create: (body: JobInput) => t.request('POST', '/api/jobs', JobDto, { body }),
      get: (id: string) => t.request('GET', `/api/jobs/${seg(id)}`, JobDto),
      update: (id: string, body: UpdateJobBody) => t.request('PATCH', `/api/jobs/${seg(id)}`, JobDto, { body }),
      delete: (id: string): Promise<void> => t.request('DELETE', `/api/jobs/${seg(id)}`, NoContent) as Promise<void>,
      /** `POST /api/jobs/:id/runs`: a new run in `queued`; `params` replaces the job's params for this run only. */
      run: (id: string, body: StartRunBody = {}) => t.request('POST', `/api/jobs/${seg(id)}/runs`, RunDto, { body }),
      /** A job's schedule; the schedule itself is set with `create` / `update`. */
      schedule: {
        /** `GET /api/jobs/:id/schedule/fires`: every due time and what became of it, latest first. */
        fires: (id: string, query: PageQuery = {}): Promise<Page<ScheduleFireDto>> =>
          t.request('GET', `/api/jobs/${seg(id)}/schedule/fires`, pageOf(ScheduleFireDto), { query: { ...query } }),
        /** `GET /api/jobs/:id/schedule/next`: the coming due times (none while paused or unscheduled). */
        next: (id: string, query: ScheduleNextQuery = {}) => t.request('GET', `/api/jobs/${seg(id)}/schedule/next`, ScheduleNextDto, { query: { ...query } }),
        /** `POST /api/jobs/:id/schedule/pause`: keeps the schedule but starts nothing until resumed; `409` without a schedule. */
        pause: (id: string) => t.request('POST', `/api/jobs/${seg(id)}/schedule/pause`, JobDto, { body: {} }),
        /** `POST /api/jobs/:id/schedule/resume`: due times count again from now (those while paused are not recorded). */
        resume: (id: string) => t.request('POST', `/api/jobs/${seg(id)}/schedule/resume`, JobDto, { body: {} }),
      },
    },
    runs: {
      list: (query: RunListQuery = {}): Promise<Page<RunDto>> => t.request('GET', '/api/runs', pageOf(RunDto), { query: { ...query } }),
      get: (id: string) => t.request('GET', `/api/runs/${seg(id)}`, RunDto),
      /** `GET /api/runs/:id/attempts`: every attempt, oldest first, with its worker, times and outcome. */
      attempts: async (id: string): Promise<RunAttemptDto[]> => (await t.request('GET', `/api/runs/${seg(id)}/attempts`, AttemptList)).items,
      /** `GET /api/runs/stats`: runs queued and running now, and finished runs per hour over the window, by outcome. */
      stats: (query: RunStatsQuery = {}) => t.request('GET', '/api/runs/stats', RunStatsDto, { query: { ...query } }),
      /** Lines with `seq > after`, ascending. */
      logs: (id: string, query: LogQuery = {}) => t.request('GET', `/api/runs/${seg(id)}/logs`, LogPageDto, { query: { ...query } }),
      /** URL of the whole log as text/plain; it needs the bearer token, so fetch it with `logsText`. */
      logsTextUrl: (id: string) => t.url(`/api/runs/${seg(id)}/logs.txt`),
      /** The whole log as a text/plain Blob, fetched with the token; `full`: each line with its time and stream. */
      logsText: async (id: string, query: { format?: 'text' | 'full' } = {}): Promise<Blob> =>
        (await t.send('GET', `/api/runs/${seg(id)}/logs.txt`, { query: { ...query } })).blob(),
      cancel: (id: string) => t.request('POST', `/api/runs/${seg(id)}/cancel`, RunDto, { body: {} }),
      /** A new run of the same job with the old run's params, or the given ones. */
      rerun: (id: string, body: StartRunBody = {}) => t.request('POST', `/api/runs/${seg(id)}/rerun`, RunDto, { body }),
    },
    audit: {
      /** `GET /api/audit` (admins): newest first. */
      list: (query: AuditQuery = {}): Promise<Page<AuditEntryDto>> => t.request('GET', '/api/audit', pageOf(AuditEntryDto), { query: { ...query } }),
    },
    people: {
      /** `GET /api/people`: display names of the given users, or of everyone enabled when `ids` is left out. */
      list: async (query: { ids?: string[] } = {}): Promise<PersonDto[]> =>
        (await t.request('GET', '/api/people', PersonList, { query: { ids: query.ids?.join(',') } })).items,
    },
    health: {
      healthz: () => health(t, '/healthz'),
      readyz: () => health(t, '/readyz'),
    },
  };
}

export type RestApi = ReturnType<typeof createRestApi>;

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
