import { z } from 'zod';
import {
  AuditEntryDto,
  CookieLoginResponse,
  CreateTokenBody,
  CreatedTokenDto,
  CreateUserBody,
  ErrorBody,
  JobBody,
  JobDto,
  JobTypeDto,
  LogLineDto,
  LogPageDto,
  LoginBody,
  LoginResponse,
  RunDto,
  RunStatsDto,
  ScheduleFireDto,
  ScheduleNextDto,
  StartRunBody,
  TokenDto,
  UpdateJobBody,
  UpdateUserBody,
  UserDto,
  PersonDto,
  RunAttemptDto,
  page,
  AUDIT_ACTIONS,
  AUDIT_TARGET_TYPES,
} from '@jobflow/shared';

const schemas = {
  Error: ErrorBody,
  User: UserDto,
  JobType: JobTypeDto,
  Job: JobDto,
  Run: RunDto,
  LogLine: LogLineDto,
  LogPage: LogPageDto,
  Token: TokenDto,
  CreatedToken: CreatedTokenDto,
  LoginRequest: LoginBody,
  LoginResponse,
  CookieLoginResponse,
  AuditEntry: AuditEntryDto,
  AuditPage: page(AuditEntryDto),
  CreateUserRequest: CreateUserBody,
  UpdateUserRequest: UpdateUserBody,
  CreateTokenRequest: CreateTokenBody,
  CreateJobRequest: JobBody,
  UpdateJobRequest: UpdateJobBody,
  StartRunRequest: StartRunBody,
  UserPage: page(UserDto),
  JobPage: page(JobDto),
  RunPage: page(RunDto),
  TokenPage: page(TokenDto),
  RunStats: RunStatsDto,
  ScheduleFirePage: page(ScheduleFireDto),
  ScheduleNext: ScheduleNextDto,
  AttemptList: z.object({ items: z.array(RunAttemptDto) }),
  PersonList: z.object({ items: z.array(PersonDto) }),
} as const;

type SchemaName = keyof typeof schemas;
const ref = (name: SchemaName) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: SchemaName) => ({ content: { 'application/json': { schema: ref(name) } } });

const errorCodes: Record<number, string> = {
  400: 'bad_request: invalid JSON or an unparsable query parameter',
  401: 'unauthorized: no token, bad signature, expired, revoked, disabled user',
  403: 'forbidden: role or ownership does not allow it',
  404: 'not_found: no such resource (also for ids of the wrong shape)',
  409: 'conflict',
  413: 'payload_too_large: body over 1 MiB, nested deeper than BODY_MAX_DEPTH or with more than BODY_MAX_KEYS keys and items',
  415: 'unsupported_media_type: a body that is not JSON, or a change signed in by the session cookie without Content-Type: application/json',
  422: 'validation_failed: `details` lists `{path, message}` with JSON Pointer paths',
  429: 'rate_limited: see the Retry-After header',
  503: 'unavailable: PostgreSQL or Redis unreachable',
};
const errors = (...statuses: number[]) => Object.fromEntries([...statuses, 503].map((s) => [String(s), { description: errorCodes[s], ...json('Error') }]));

const idParam = (name: string) => ({ name, in: 'path', required: true, schema: { type: 'string' } });
const pageParams = [
  { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } },
  { name: 'cursor', in: 'query', schema: { type: 'string' }, description: 'Opaque `nextCursor` of the previous page.' },
];
const secured = { security: [{ bearer: [] }, { sessionCookie: [] }] };

interface Op {
  summary: string;
  tag: string;
  body?: SchemaName;
  ok: [number, SchemaName | null | 'text'];
  errors: number[];
  params?: object[];
  open?: boolean;
}

const ops: Record<string, Record<string, Op>> = {
  '/api/auth/login': {
    post: {
      summary:
        'Sign in with email and password (the email is matched as NFKC, lower case). Answers `{token, expiresAt, user}`; with `session: "cookie"` (the browser) the session goes into an HttpOnly, SameSite=Strict cookie instead and the answer has no token. Failed attempts are limited per account and address (429)',
      tag: 'auth',
      body: 'LoginRequest',
      ok: [200, 'LoginResponse'],
      errors: [400, 401, 413, 415, 422, 429],
      open: true,
    },
  },
  '/api/auth/logout': {
    post: {
      summary: "End every session of the signed-in user, on every server and socket, and clear the session cookie; the user's API tokens stay",
      tag: 'auth',
      ok: [204, null],
      errors: [401, 415],
    },
  },
  '/api/audit': {
    get: {
      summary:
        'The audit log (admin), newest first: sign-ins, sign-outs, tokens, users, jobs and runs, with who, when and from where. Append-only; kept AUDIT_RETENTION_DAYS days',
      tag: 'audit',
      ok: [200, 'AuditPage'],
      errors: [400, 401, 403],
      params: [
        ...pageParams,
        { name: 'actor', in: 'query', schema: { type: 'string' }, description: 'A user id: what they did.' },
        { name: 'action', in: 'query', schema: { type: 'string', enum: [...AUDIT_ACTIONS] } },
        { name: 'targetType', in: 'query', schema: { type: 'string', enum: [...AUDIT_TARGET_TYPES] } },
        { name: 'targetId', in: 'query', schema: { type: 'string' } },
        { name: 'since', in: 'query', schema: { type: 'string', format: 'date-time' }, description: 'Entries at or after this time.' },
        { name: 'until', in: 'query', schema: { type: 'string', format: 'date-time' }, description: 'Entries before this time.' },
      ],
    },
  },
  '/api/auth/me': { get: { summary: 'The signed-in user', tag: 'auth', ok: [200, null], errors: [401] } },
  '/api/users': {
    get: { summary: 'List users (admin)', tag: 'users', ok: [200, 'UserPage'], errors: [400, 401, 403], params: pageParams },
    post: { summary: 'Create a user (admin)', tag: 'users', body: 'CreateUserRequest', ok: [201, 'User'], errors: [400, 401, 403, 409, 422] },
  },
  '/api/users/{id}': {
    get: { summary: 'One user (admin)', tag: 'users', ok: [200, 'User'], errors: [401, 403, 404], params: [idParam('id')] },
    patch: {
      summary:
        "Change a user (admin); 409 when no enabled admin would remain. A new password, a role change or disabling ends the user's sessions at once (re-enabling does not bring them back); `revokeTokens: true` with a new password also revokes their API tokens",
      tag: 'users',
      body: 'UpdateUserRequest',
      ok: [200, 'User'],
      errors: [400, 401, 403, 404, 409, 422],
      params: [idParam('id')],
    },
    delete: {
      summary: 'Delete a user (admin); 409 for the last admin or an owner of jobs',
      tag: 'users',
      ok: [204, null],
      errors: [401, 403, 404, 409],
      params: [idParam('id')],
    },
  },
  '/api/tokens': {
    get: {
      summary: "The caller's API tokens (admins: `?userId=<id>|all`)",
      tag: 'tokens',
      ok: [200, 'TokenPage'],
      errors: [400, 401, 403],
      params: [...pageParams, { name: 'userId', in: 'query', schema: { type: 'string' } }],
    },
    post: {
      summary: 'Create an API token; the secret is shown only in this response',
      tag: 'tokens',
      body: 'CreateTokenRequest',
      ok: [201, 'CreatedToken'],
      errors: [400, 401, 422],
    },
  },
  '/api/tokens/{id}': {
    delete: {
      summary: 'Revoke a token (owner or admin); its sockets are disconnected',
      tag: 'tokens',
      ok: [204, null],
      errors: [401, 403, 404],
      params: [idParam('id')],
    },
  },
  '/api/job-types': { get: { summary: 'Every job type with its params schema', tag: 'jobs', ok: [200, null], errors: [401] } },
  '/api/jobs': {
    get: {
      summary: 'List jobs (everyone sees every job), newest first',
      tag: 'jobs',
      ok: [200, 'JobPage'],
      errors: [400, 401],
      params: [
        ...pageParams,
        { name: 'q', in: 'query', schema: { type: 'string' }, description: 'Part of the name' },
        { name: 'type', in: 'query', schema: { type: 'string' } },
      ],
    },
    post: {
      summary: 'Create a job; params are validated against the type',
      tag: 'jobs',
      body: 'CreateJobRequest',
      ok: [201, 'Job'],
      errors: [400, 401, 403, 422],
    },
  },
  '/api/jobs/{id}': {
    get: { summary: 'One job with its last run', tag: 'jobs', ok: [200, 'Job'], errors: [401, 404], params: [idParam('id')] },
    patch: {
      summary: 'Change a job (owner or admin); admins may give it to another enabled user with `ownerId`',
      tag: 'jobs',
      body: 'UpdateJobRequest',
      ok: [200, 'Job'],
      errors: [400, 401, 403, 404, 422],
      params: [idParam('id')],
    },
    delete: {
      summary: 'Delete a job and its runs (owner or admin); 409 while a run is queued or running',
      tag: 'jobs',
      ok: [204, null],
      errors: [401, 403, 404, 409],
      params: [idParam('id')],
    },
  },
  '/api/jobs/{id}/runs': {
    post: {
      summary: 'Start a run now; `params` replaces the job params for this run only',
      tag: 'runs',
      body: 'StartRunRequest',
      ok: [201, 'Run'],
      errors: [400, 401, 403, 404, 422],
      params: [idParam('id')],
    },
  },
  '/api/runs': {
    get: {
      summary: 'List runs, newest first',
      tag: 'runs',
      ok: [200, 'RunPage'],
      errors: [400, 401],
      params: [
        ...pageParams,
        { name: 'jobId', in: 'query', schema: { type: 'string' } },
        { name: 'status', in: 'query', description: 'One status, or several comma-separated (`queued,running`)', schema: { type: 'string' } },
        { name: 'type', in: 'query', description: "The job's type", schema: { type: 'string' } },
        { name: 'trigger', in: 'query', schema: { type: 'string', enum: ['manual', 'rerun', 'schedule', 'api'] } },
        { name: 'userId', in: 'query', description: 'Who started the run', schema: { type: 'string' } },
        { name: 'since', in: 'query', description: 'Queued at or after (ISO-8601)', schema: { type: 'string', format: 'date-time' } },
        { name: 'until', in: 'query', description: 'Queued before (ISO-8601)', schema: { type: 'string', format: 'date-time' } },
        {
          name: 'finishedSince',
          in: 'query',
          description: 'Finished at or after (ISO-8601): "failed in the last 24 h"',
          schema: { type: 'string', format: 'date-time' },
        },
        { name: 'q', in: 'query', description: "Part of the job's name, or the start of the run's id", schema: { type: 'string', maxLength: 200 } },
      ],
    },
  },
  '/api/runs/stats': {
    get: {
      summary: 'Dashboard counts: runs queued and running now, and finished runs per hour over the last `hours` (default 24)',
      tag: 'runs',
      ok: [200, 'RunStats'],
      errors: [400, 401],
      params: [{ name: 'hours', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 744, default: 24 } }],
    },
  },
  '/api/jobs/{id}/schedule/fires': {
    get: {
      summary: "The job's due times and what became of each, latest first",
      tag: 'jobs',
      ok: [200, 'ScheduleFirePage'],
      errors: [400, 401, 404],
      params: [idParam('id'), ...pageParams],
    },
  },
  '/api/jobs/{id}/schedule/next': {
    get: {
      summary: 'The next due times (UTC and in the job zone)',
      tag: 'jobs',
      ok: [200, 'ScheduleNext'],
      errors: [400, 401, 404],
      params: [idParam('id'), { name: 'count', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 5 } }],
    },
  },
  '/api/jobs/{id}/schedule/pause': {
    post: {
      summary: 'Pause the schedule, keeping its definition (owner or admin)',
      tag: 'jobs',
      ok: [200, 'Job'],
      errors: [401, 403, 404, 409],
      params: [idParam('id')],
    },
  },
  '/api/jobs/{id}/schedule/resume': {
    post: { summary: 'Resume the schedule (owner or admin)', tag: 'jobs', ok: [200, 'Job'], errors: [401, 403, 404, 409], params: [idParam('id')] },
  },
  '/api/runs/{id}': { get: { summary: 'One run', tag: 'runs', ok: [200, 'Run'], errors: [401, 404], params: [idParam('id')] } },
  '/api/runs/{id}/logs': {
    get: {
      summary: 'Log lines with seq > after, ascending',
      tag: 'runs',
      ok: [200, 'LogPage'],
      errors: [400, 401, 404],
      params: [
        idParam('id'),
        { name: 'after', in: 'query', schema: { type: 'integer', minimum: 0, default: 0 } },
        { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 5000, default: 1000 } },
      ],
    },
  },
  '/api/runs/{id}/logs.txt': {
    get: {
      summary: 'The whole log as text, streamed; `format=full` puts each line as `<ISO time> <stream> <text>`',
      tag: 'runs',
      ok: [200, 'text'],
      errors: [400, 401, 404],
      params: [idParam('id'), { name: 'format', in: 'query', schema: { type: 'string', enum: ['text', 'full'], default: 'text' } }],
    },
  },
  '/api/runs/{id}/attempts': {
    get: {
      summary: 'Every attempt of the run, oldest first: its worker, start, end and outcome',
      tag: 'runs',
      ok: [200, 'AttemptList'],
      errors: [401, 404],
      params: [idParam('id')],
    },
  },
  '/api/people': {
    get: {
      summary: "Users' display names, for everyone signed in (who owns a job, who started a run); without `ids`, everyone enabled",
      tag: 'users',
      ok: [200, 'PersonList'],
      errors: [400, 401],
      params: [{ name: 'ids', in: 'query', description: 'Up to 200 user ids, comma-separated', schema: { type: 'string' } }],
    },
  },
  '/api/runs/{id}/cancel': {
    post: {
      summary: 'Cancel (job owner, run starter or admin); a running run ends cancelled within 5 s',
      tag: 'runs',
      ok: [202, 'Run'],
      errors: [401, 403, 404, 409],
      params: [idParam('id')],
    },
  },
  '/api/runs/{id}/rerun': {
    post: {
      summary: "A new run of the same job with the old run's (or the given) params",
      tag: 'runs',
      body: 'StartRunRequest',
      ok: [201, 'Run'],
      errors: [400, 401, 403, 404, 422],
      params: [idParam('id')],
    },
  },
};

function operation(op: Op) {
  const [status, response] = op.ok;
  const ok =
    response === 'text'
      ? { description: 'OK', content: { 'text/plain': { schema: { type: 'string' } } } }
      : response
        ? { description: 'OK', ...json(response) }
        : { description: status === 204 ? 'No content' : 'OK' };
  return {
    summary: op.summary,
    tags: [op.tag],
    ...(op.open ? {} : secured),
    ...(op.params ? { parameters: op.params } : {}),
    ...(op.body ? { requestBody: { required: true, ...json(op.body) } } : {}),
    responses: { [String(status)]: ok, ...errors(...op.errors) },
  };
}

/** The OpenAPI 3.1 description of the REST API, generated from the same zod schemas the server validates with. */
export function buildOpenApi(version: string) {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Jobflow API',
      version,
      description:
        'REST API of Jobflow. Live events use Socket.IO at `/socket.io` (auth `{token}`, or the browser session cookie from the same origin): subscribe to `dashboard`, `job` or `run` topics and receive `run:updated`, `run:log`, `job:updated`, `job:deleted`, `schedule:recorded` (`{jobId, outcomes}`) and `resync`. `logCount` in a `Run` is the count when the snapshot was taken; new lines arrive as `run:log` without a new `version`. Every response carries `X-Request-Id`: the one the request sent when it is up to 128 letters, digits and `. _ : = / + -`, else a new UUID; the server logs every line of the request with it.',
    },
    servers: [{ url: '/' }],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'A session JWT from /api/auth/login or a personal API token (jf_...)' },
        sessionCookie: {
          type: 'apiKey',
          in: 'cookie',
          name: 'jf_session',
          description:
            'The browser session from /api/auth/login with `session: "cookie"` (HttpOnly, SameSite=Strict). Requests that change something must send Content-Type: application/json.',
        },
        metricsToken: { type: 'http', scheme: 'bearer', description: 'The METRICS_TOKEN the server was started with' },
      },
      schemas: Object.fromEntries(Object.entries(schemas).map(([name, schema]) => [name, z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' })])),
    },
    paths: {
      ...Object.fromEntries(
        Object.entries(ops).map(([path, methods]) => [path, Object.fromEntries(Object.entries(methods).map(([m, op]) => [m, operation(op)]))]),
      ),
      '/healthz': { get: { summary: 'Liveness', tags: ['health'], responses: { '200': { description: 'The process lives' } } } },
      '/readyz': {
        get: {
          summary: 'Readiness: PostgreSQL and Redis answer, and the server is not shutting down',
          tags: ['health'],
          responses: {
            '200': { description: 'Ready' },
            '503': {
              description: 'Not ready: a service is unreachable, or the server is shutting down (from SIGTERM on, for SHUTDOWN_DELAY_MS)',
              ...json('Error'),
            },
          },
        },
      },
      '/metrics': {
        get: {
          summary: 'Prometheus metrics (text exposition format 0.0.4)',
          description:
            'Runs, queue depth, run outcomes and durations, HTTP requests, live events, the PostgreSQL pool, Redis errors and the Node.js process. With METRICS_TOKEN set, only for `Authorization: Bearer <METRICS_TOKEN>`.',
          tags: ['health'],
          security: [{ metricsToken: [] }, {}],
          responses: {
            '200': { description: 'The metrics', content: { 'text/plain; version=0.0.4': { schema: { type: 'string' } } } },
            '401': { description: 'unauthorized: METRICS_TOKEN is set and the request does not carry it', ...json('Error') },
          },
        },
      },
    },
  };
}
