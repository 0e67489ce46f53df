import { z } from 'zod';
import {
  AuditAction,
  AuditEntryDto,
  AuditTargetType,
  CookieLoginResponse,
  CreateTokenBody,
  CreateUserBody,
  CreatedTokenDto,
  JobBody,
  JobDto,
  JobSummaryDto,
  JobStorageDto,
  LogHitDto,
  JobTypeDto,
  LogLineDto,
  RunSummaryDto,
  TAG_PATTERN,
  LogPageDto,
  LoginBody,
  LoginResponse,
  PersonDto,
  QueueDto,
  RunAttemptDto,
  RunDto,
  RunStatsDto,
  RunStatus,
  ScheduleFireDto,
  ScheduleNextDto,
  StartRunBody,
  TRIGGER_KINDS,
  TokenDto,
  UpdateJobBody,
  UpcomingDto,
  UpdateUserBody,
  UserDto,
  WorkerDto,
  page,
} from './dto';
import { ArtifactListDto } from './artifacts';
import { ErrorBody } from './errors';

// ---- what requests carry ---------------------------------------------------

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** An id in a path or query: a UUID (a path id of another shape is a 404, as no record has it). */
const IdParam = z.string().regex(uuidPattern, 'must be an id').meta({ format: 'uuid' });
const ById = z.object({ id: IdParam });

/** A time that PostgreSQL stores as given: years 1 to 9999. */
const isStorable = (value: string) => {
  const at = new Date(value);
  return !Number.isNaN(at.getTime()) && at.getUTCFullYear() >= 1 && at.getUTCFullYear() <= 9999;
};
/** An ISO-8601 time with its zone, e.g. `2026-11-28T12:00:00Z`. */
const ZonedTime = z.iso.datetime({ offset: true }).refine(isStorable, 'must be a time in years 1 to 9999');
/** An ISO-8601 date or time; without a zone it is UTC. */
const DateOrTime = z.union([z.iso.datetime({ offset: true, local: true }), z.iso.date()]).refine(isStorable, 'must be a time in years 1 to 9999');

/** Run statuses: one, or several comma-separated. */
const StatusList = z
  .string()
  .transform((raw) => raw.split(','))
  .pipe(z.array(RunStatus))
  .meta({ description: 'One status, or several comma-separated (`queued,running`)' });

/** One tag, as jobs carry them. */
const TagParam = z
  .string()
  .regex(TAG_PATTERN, 'must be a tag (lowercase letters, digits, "-", "_", "." or ":")')
  .meta({ description: 'Only jobs carrying this tag' });

const integer = (min: number, max: number, byDefault: number) => z.coerce.number<number>().int().min(min).max(max).default(byDefault);

/** Keyset pagination of every list: `limit` 1..200 (default 50), `cursor` from the previous page's `nextCursor`. */
const PageQuery = z.object({
  limit: integer(1, 200, 50),
  cursor: z.string().meta({ description: 'Opaque `nextCursor` of the previous page.' }).optional(),
});

/** `Idempotency-Key`: a retried start with the same key and body answers the same run. */
export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
/** At most this long, in printable ASCII. */
export const IdempotencyKey = z
  .string()
  .regex(/^[\x21-\x7e]{1,200}$/, 'must be 1 to 200 printable ASCII characters')
  .meta({ description: 'Up to 200 printable ASCII characters; the same key and body within 24 h answer the same run, another body is a 422.' });

// ---- what the API answers, named once (the OpenAPI document's components) ----

const MeResponse = z.object({ user: UserDto });
const JobTypeList = z.object({ items: z.array(JobTypeDto) });
const AttemptList = z.object({ items: z.array(RunAttemptDto) });
const PersonList = z.object({ items: z.array(PersonDto) });
/** `POST /api/auth/login`: with `session: "cookie"` the token is in the cookie, not the body. */
const LoginResult = z.union([LoginResponse, CookieLoginResponse]);
const WorkerList = z.object({ items: z.array(WorkerDto) });
const Health = z.object({ status: z.string() });
const Readiness = z.record(z.string(), z.unknown());

/**
 * Every schema a request body or response names, by its name in the OpenAPI
 * document: each is described once and referenced (`$ref`) wherever it appears.
 */
export const apiSchemas = {
  Error: ErrorBody,
  User: UserDto,
  Me: MeResponse,
  JobType: JobTypeDto,
  JobTypeList,
  Job: JobDto,
  JobSummary: JobSummaryDto,
  Run: RunDto,
  RunSummary: RunSummaryDto,
  LogLine: LogLineDto,
  LogPage: LogPageDto,
  Token: TokenDto,
  CreatedToken: CreatedTokenDto,
  LoginRequest: LoginBody,
  LoginResponse,
  CookieLoginResponse,
  LoginResult,
  AuditEntry: AuditEntryDto,
  AuditPage: page(AuditEntryDto),
  CreateUserRequest: CreateUserBody,
  UpdateUserRequest: UpdateUserBody,
  CreateTokenRequest: CreateTokenBody,
  CreateJobRequest: JobBody,
  UpdateJobRequest: UpdateJobBody,
  StartRunRequest: StartRunBody,
  UserPage: page(UserDto),
  JobPage: page(JobSummaryDto),
  RunPage: page(RunSummaryDto),
  TokenPage: page(TokenDto),
  RunStats: RunStatsDto,
  ScheduleFirePage: page(ScheduleFireDto),
  ScheduleNext: ScheduleNextDto,
  RunAttempt: RunAttemptDto,
  AttemptList,
  Person: PersonDto,
  PersonList,
  Queue: QueueDto,
  Upcoming: UpcomingDto,
  Worker: WorkerDto,
  WorkerList,
  LogHit: LogHitDto,
  LogHitPage: page(LogHitDto),
  JobStorage: JobStorageDto,
  ArtifactList: ArtifactListDto,
  Health,
  Readiness,
} as const;

// ---- the routes ------------------------------------------------------------

/** Answers streamed as they are produced, never parsed whole by the client. */
export type StreamedResponse = 'text' | 'file' | 'ndjson';

export type HttpMethod = 'get' | 'post' | 'patch' | 'delete';
/** Error statuses an operation may answer (503 goes with every operation that reaches a service). */
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 412 | 413 | 415 | 416 | 422 | 429 | 431 | 503;
/** Request headers an operation reads beside `Authorization`. */
export type RouteHeader = 'idempotencyKey' | 'ifMatch';

/**
 * One operation of the REST API. `access` names the access policy's action
 * (`server/src/auth/access-policy.ts`) that decides who may call it, or
 * `open` (anyone) or `metricsToken` (METRICS_TOKEN when set).
 */
export interface RouteSpec {
  method: HttpMethod;
  /** Koa style: `/api/jobs/:id`. */
  path: string;
  summary: string;
  description?: string;
  tag: 'auth' | 'users' | 'tokens' | 'jobs' | 'runs' | 'workers' | 'audit' | 'health';
  access: string;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  headers?: readonly RouteHeader[];
  /**
   * The success status and what it carries: a schema of `apiSchemas`, a
   * stream (`text`, `file`: any bytes by ranges, `ndjson`: JSON lines) or nothing.
   */
  status: 200 | 201 | 202 | 204;
  response: z.ZodType | StreamedResponse | null;
  /** 201: the `Location` header names the created resource, this path with the answer's `id`. */
  location?: string;
  /** `ETag` on the answer (the resource's version). */
  hasETag?: boolean;
  errors: readonly ErrorStatus[];
}

const route = <const R extends RouteSpec>(spec: R): R => spec;
const OWN_OR_ADMIN = 'owner or admin';

/**
 * The REST API, each operation once, by its operationId: the server registers
 * and validates its routes from this list, the OpenAPI document is generated
 * from it, and the typed client calls through it.
 */
export const apiRoutes = {
  login: route({
    method: 'post',
    path: '/api/auth/login',
    tag: 'auth',
    summary: 'Sign in with email and password',
    description:
      'The email is matched as NFKC, lower case. Answers `{token, expiresAt, user}`; with `session: "cookie"` (the browser) the session goes into an HttpOnly, SameSite=Strict cookie instead and the answer has no token. Failed attempts are limited per account and address (429).',
    access: 'open',
    body: LoginBody,
    status: 200,
    response: LoginResult,
    errors: [400, 401, 413, 415, 422, 429],
  }),
  logout: route({
    method: 'post',
    path: '/api/auth/logout',
    tag: 'auth',
    summary: 'Sign out everywhere',
    description: "Ends every session of the signed-in user, on every server and socket, and clears the session cookie; the user's API tokens stay.",
    access: 'auth.logout',
    status: 204,
    response: null,
    errors: [401, 415],
  }),
  me: route({
    method: 'get',
    path: '/api/auth/me',
    tag: 'auth',
    summary: 'The signed-in user',
    access: 'auth.me',
    status: 200,
    response: MeResponse,
    errors: [401],
  }),
  listAudit: route({
    method: 'get',
    path: '/api/audit',
    tag: 'audit',
    summary: 'The audit log (admin), newest first',
    description: 'Sign-ins, sign-outs, tokens, users, jobs and runs, with who, when and from where. Append-only; kept AUDIT_RETENTION_DAYS days.',
    access: 'audit.read',
    query: PageQuery.extend({
      actor: IdParam.meta({ description: 'A user id: what they did.' }).optional(),
      action: AuditAction.optional(),
      targetType: AuditTargetType.optional(),
      targetId: z.string().optional(),
      since: ZonedTime.meta({ description: 'Entries at or after this time.' }).optional(),
      until: ZonedTime.meta({ description: 'Entries before this time.' }).optional(),
    }),
    status: 200,
    response: apiSchemas.AuditPage,
    errors: [400, 401, 403],
  }),
  listUsers: route({
    method: 'get',
    path: '/api/users',
    tag: 'users',
    summary: 'List users (admin)',
    access: 'users.list',
    query: PageQuery,
    status: 200,
    response: apiSchemas.UserPage,
    errors: [400, 401, 403],
  }),
  createUser: route({
    method: 'post',
    path: '/api/users',
    tag: 'users',
    summary: 'Create a user (admin)',
    access: 'users.create',
    body: CreateUserBody,
    status: 201,
    response: UserDto,
    location: '/api/users/:id',
    errors: [400, 401, 403, 409, 415, 422],
  }),
  getUser: route({
    method: 'get',
    path: '/api/users/:id',
    tag: 'users',
    summary: 'One user (admin)',
    access: 'users.read',
    params: ById,
    status: 200,
    response: UserDto,
    errors: [401, 403, 404],
  }),
  updateUser: route({
    method: 'patch',
    path: '/api/users/:id',
    tag: 'users',
    summary: 'Change a user (admin)',
    description:
      "409 when no enabled admin would remain. A new password, a role change or disabling ends the user's sessions at once (re-enabling does not bring them back); `revokeTokens: true` with a new password also revokes their API tokens.",
    access: 'users.update',
    params: ById,
    body: UpdateUserBody,
    status: 200,
    response: UserDto,
    errors: [400, 401, 403, 404, 409, 415, 422],
  }),
  deleteUser: route({
    method: 'delete',
    path: '/api/users/:id',
    tag: 'users',
    summary: 'Delete a user (admin)',
    description: '409 for the last admin or an owner of jobs.',
    access: 'users.delete',
    params: ById,
    status: 204,
    response: null,
    errors: [401, 403, 404, 409],
  }),
  listPeople: route({
    method: 'get',
    path: '/api/people',
    tag: 'users',
    summary: "Users' display names",
    description: 'For everyone signed in (who owns a job, who started a run); without `ids`, everyone enabled.',
    access: 'people.list',
    query: z.object({
      ids: z
        .string()
        .transform((raw) => raw.split(',').filter(Boolean))
        .pipe(z.array(IdParam).max(200))
        .meta({ description: 'Up to 200 user ids, comma-separated' })
        .optional(),
    }),
    status: 200,
    response: PersonList,
    errors: [400, 401],
  }),
  listTokens: route({
    method: 'get',
    path: '/api/tokens',
    tag: 'tokens',
    summary: "The caller's API tokens",
    description: "Admins may pass `userId` (another user's id, or `all`).",
    access: 'tokens.listOwn',
    query: PageQuery.extend({ userId: z.union([IdParam, z.literal('all')]).optional() }),
    status: 200,
    response: apiSchemas.TokenPage,
    errors: [400, 401, 403],
  }),
  createToken: route({
    method: 'post',
    path: '/api/tokens',
    tag: 'tokens',
    summary: 'Create an API token',
    description: 'The secret is shown only in this response.',
    access: 'tokens.create',
    body: CreateTokenBody,
    status: 201,
    location: '/api/tokens/:id',
    response: CreatedTokenDto,
    errors: [400, 401, 415, 422],
  }),
  revokeToken: route({
    method: 'delete',
    path: '/api/tokens/:id',
    tag: 'tokens',
    summary: 'Revoke a token (owner or admin)',
    description: 'Its sockets are disconnected.',
    access: 'tokens.revoke',
    params: ById,
    status: 204,
    response: null,
    errors: [401, 403, 404],
  }),
  listJobTypes: route({
    method: 'get',
    path: '/api/job-types',
    tag: 'jobs',
    summary: 'Every job type with its params schema',
    access: 'jobTypes.list',
    status: 200,
    response: JobTypeList,
    errors: [401],
  }),
  listJobs: route({
    method: 'get',
    path: '/api/jobs',
    tag: 'jobs',
    summary: 'List jobs, newest first (summaries: no params)',
    description: 'Everyone signed in sees every job.',
    access: 'jobs.list',
    query: PageQuery.extend({
      q: z.string().meta({ description: 'Part of the name' }).optional(),
      type: z.string().optional(),
      tag: TagParam.optional(),
      enabled: z
        .enum(['true', 'false'])
        .transform((v) => v === 'true')
        .meta({ description: 'Only enabled (`true`) or disabled (`false`) jobs' })
        .optional(),
    }),
    status: 200,
    response: apiSchemas.JobPage,
    errors: [400, 401],
  }),
  createJob: route({
    method: 'post',
    path: '/api/jobs',
    tag: 'jobs',
    summary: 'Create a job',
    description: "Params are validated against the type's schema; an `adminOnly` type needs an admin.",
    access: 'jobs.create',
    body: JobBody,
    status: 201,
    response: JobDto,
    location: '/api/jobs/:id',
    hasETag: true,
    errors: [400, 401, 403, 415, 422],
  }),
  getJob: route({
    method: 'get',
    path: '/api/jobs/:id',
    tag: 'jobs',
    summary: 'One job with its last run',
    description: "The `ETag` is the job's `version`; send it back as `If-Match` with a change.",
    access: 'jobs.read',
    params: ById,
    status: 200,
    response: JobDto,
    hasETag: true,
    errors: [401, 404],
  }),
  updateJob: route({
    method: 'patch',
    path: '/api/jobs/:id',
    tag: 'jobs',
    summary: `Change a job (${OWN_OR_ADMIN})`,
    description:
      'Admins may give it to another enabled user with `ownerId`. With `If-Match: "<version>"` (the `ETag` of `GET`), a job changed meanwhile is a 412 and stays as it is.',
    access: 'jobs.update',
    params: ById,
    headers: ['ifMatch'],
    body: UpdateJobBody,
    status: 200,
    response: JobDto,
    hasETag: true,
    errors: [400, 401, 403, 404, 412, 415, 422],
  }),
  deleteJob: route({
    method: 'delete',
    path: '/api/jobs/:id',
    tag: 'jobs',
    summary: `Delete a job and its runs (${OWN_OR_ADMIN})`,
    description: '409 while a run of it is queued or running.',
    access: 'jobs.delete',
    params: ById,
    status: 204,
    response: null,
    errors: [401, 403, 404, 409],
  }),
  startRun: route({
    method: 'post',
    path: '/api/jobs/:id/runs',
    tag: 'runs',
    summary: 'Start a run now',
    description:
      "`params` replaces the job's params for this run only; a disabled job is a 409 `job_disabled`. With an `Idempotency-Key`, a retry with the same key and body within 24 h answers the run the first request started (same status and body); the same key with another body is a 422, and a retry while the first request is still being answered a 409.",
    access: 'runs.start',
    params: ById,
    headers: ['idempotencyKey'],
    body: StartRunBody,
    status: 201,
    response: RunDto,
    location: '/api/runs/:id',
    errors: [400, 401, 403, 404, 409, 415, 422],
  }),
  listScheduleFires: route({
    method: 'get',
    path: '/api/jobs/:id/schedule/fires',
    tag: 'jobs',
    summary: "The job's due times and what became of each, latest first",
    access: 'schedules.read',
    params: ById,
    query: PageQuery,
    status: 200,
    response: apiSchemas.ScheduleFirePage,
    errors: [400, 401, 404],
  }),
  nextScheduleTimes: route({
    method: 'get',
    path: '/api/jobs/:id/schedule/next',
    tag: 'jobs',
    summary: 'The next due times (UTC and in the job zone)',
    access: 'schedules.read',
    params: ById,
    query: z.object({ count: integer(1, 100, 5) }),
    status: 200,
    response: ScheduleNextDto,
    errors: [400, 401, 404],
  }),
  pauseSchedule: route({
    method: 'post',
    path: '/api/jobs/:id/schedule/pause',
    tag: 'jobs',
    summary: `Pause the schedule, keeping its definition (${OWN_OR_ADMIN})`,
    description: 'With `If-Match: "<version>"`, a job changed meanwhile is a 412 and stays as it is.',
    access: 'schedules.pause',
    params: ById,
    headers: ['ifMatch'],
    status: 200,
    response: JobDto,
    errors: [401, 403, 404, 409, 412],
  }),
  resumeSchedule: route({
    method: 'post',
    path: '/api/jobs/:id/schedule/resume',
    tag: 'jobs',
    summary: `Resume the schedule (${OWN_OR_ADMIN})`,
    description: 'With `If-Match: "<version>"`, a job changed meanwhile is a 412 and stays as it is.',
    access: 'schedules.pause',
    params: ById,
    headers: ['ifMatch'],
    status: 200,
    response: JobDto,
    errors: [401, 403, 404, 409, 412],
  }),
  upcomingDueTimes: route({
    method: 'get',
    path: '/api/schedules/upcoming',
    tag: 'jobs',
    summary: 'The next due times across every enabled job whose schedule is not paused, soonest first',
    description: 'UTC and in each job zone.',
    access: 'schedules.read',
    query: z.object({ limit: integer(1, 100, 10) }),
    status: 200,
    response: UpcomingDto,
    errors: [400, 401],
  }),
  jobStorage: route({
    method: 'get',
    path: '/api/jobs/:id/storage',
    tag: 'jobs',
    summary: "What the job's runs hold in the database: runs, log lines and their bytes",
    access: 'jobs.read',
    params: ById,
    status: 200,
    response: JobStorageDto,
    errors: [401, 404],
  }),
  searchLogs: route({
    method: 'get',
    path: '/api/logs/search',
    tag: 'runs',
    summary: 'Stored log lines of every run that contain `q`, newest first',
    description:
      'Case-insensitive substring search (`%`, `_` and `\\` are literal) over every run the caller may read; each hit carries its run (a summary), `seq`, time, text and `match`, the `[start, end)` offsets of each occurrence. Keyset pages.',
    access: 'logs.search',
    query: z.object({
      q: z
        .string()
        .min(3, 'must be 3 to 200 characters')
        .max(200, 'must be 3 to 200 characters')
        .refine((v) => v.trim().length >= 3, 'must hold 3 characters besides spaces')
        .meta({ description: '3 to 200 characters' }),
      jobId: IdParam.optional(),
      status: StatusList.optional(),
      since: DateOrTime.meta({ description: 'Lines stored at or after (ISO-8601)' }).optional(),
      until: DateOrTime.meta({ description: 'Lines stored before (ISO-8601)' }).optional(),
      limit: integer(1, 200, 50),
      cursor: z.string().meta({ description: 'Opaque `nextCursor` of the previous page.' }).optional(),
    }),
    status: 200,
    response: apiSchemas.LogHitPage,
    errors: [400, 401],
  }),
  queue: route({
    method: 'get',
    path: '/api/queue',
    tag: 'runs',
    summary: 'Runs waiting in the queue now',
    description: 'How many, when the oldest was queued, and the same per job (the 50 jobs whose oldest run has waited longest).',
    access: 'runs.list',
    status: 200,
    response: QueueDto,
    errors: [401],
  }),
  listWorkers: route({
    method: 'get',
    path: '/api/workers',
    tag: 'workers',
    summary: 'Every worker process: active, draining, or lost',
    description:
      'Lost: no heartbeat within three of its intervals; listed for a day. With its host, pid, version, concurrency, last heartbeat and the runs it holds.',
    access: 'workers.list',
    status: 200,
    response: WorkerList,
    errors: [401],
  }),
  drainWorker: route({
    method: 'post',
    path: '/api/workers/:id/drain',
    tag: 'workers',
    summary: 'Drain a worker (admin)',
    description:
      'It finishes the runs it holds and takes no new run until resumed, also after a restart with the same WORKER_ID. Stored, announced as worker:updated, and sent to the worker at once.',
    access: 'workers.drain',
    params: z.object({ id: z.string().max(200) }),
    status: 200,
    response: WorkerDto,
    errors: [401, 403, 404, 415],
  }),
  resumeWorker: route({
    method: 'post',
    path: '/api/workers/:id/resume',
    tag: 'workers',
    summary: 'Resume a drained worker (admin)',
    description: 'It takes runs again.',
    access: 'workers.drain',
    params: z.object({ id: z.string().max(200) }),
    status: 200,
    response: WorkerDto,
    errors: [401, 403, 404, 415],
  }),
  listRuns: route({
    method: 'get',
    path: '/api/runs',
    tag: 'runs',
    summary: 'List runs, newest first (summaries: no params, no result)',
    access: 'runs.list',
    query: PageQuery.extend({
      jobId: IdParam.optional(),
      status: StatusList.optional(),
      type: z.string().meta({ description: "The job's type" }).optional(),
      tag: TagParam.meta({ description: 'Only runs of jobs carrying this tag' }).optional(),
      trigger: z.enum(TRIGGER_KINDS).optional(),
      userId: IdParam.meta({ description: 'Who started the run' }).optional(),
      since: DateOrTime.meta({ description: 'Queued at or after (ISO-8601)' }).optional(),
      until: DateOrTime.meta({ description: 'Queued before (ISO-8601)' }).optional(),
      finishedSince: DateOrTime.meta({ description: 'Finished at or after (ISO-8601): "failed in the last 24 h"' }).optional(),
      q: z.string().max(200).meta({ description: "Part of the job's name, or the start of the run's id" }).optional(),
    }),
    status: 200,
    response: apiSchemas.RunPage,
    errors: [400, 401],
  }),
  runStats: route({
    method: 'get',
    path: '/api/runs/stats',
    tag: 'runs',
    summary: 'Dashboard counts',
    description: 'Runs queued and running now, and finished runs per hour over the last `hours` (default 24).',
    access: 'runs.list',
    query: z.object({ hours: integer(1, 24 * 31, 24) }),
    status: 200,
    response: RunStatsDto,
    errors: [400, 401],
  }),
  getRun: route({
    method: 'get',
    path: '/api/runs/:id',
    tag: 'runs',
    summary: 'One run',
    access: 'runs.read',
    params: ById,
    status: 200,
    response: RunDto,
    errors: [401, 404],
  }),
  listRunAttempts: route({
    method: 'get',
    path: '/api/runs/:id/attempts',
    tag: 'runs',
    summary: 'Every attempt of the run, oldest first',
    description: 'Its worker, start, end and outcome.',
    access: 'runs.read',
    params: ById,
    status: 200,
    response: AttemptList,
    errors: [401, 404],
  }),
  getRunLogs: route({
    method: 'get',
    path: '/api/runs/:id/logs',
    tag: 'runs',
    summary: 'Log lines with seq > after, ascending',
    access: 'runs.read',
    params: ById,
    query: z.object({ after: integer(0, 2 ** 31 - 1, 0), limit: integer(1, 5000, 1000) }),
    status: 200,
    response: LogPageDto,
    errors: [400, 401, 404],
  }),
  getRunLogText: route({
    method: 'get',
    path: '/api/runs/:id/logs.txt',
    tag: 'runs',
    summary: 'The whole log as text, streamed',
    description: '`format=full` puts each line as `<ISO time> <stream> <text>`.',
    access: 'runs.read',
    params: ById,
    query: z.object({ format: z.enum(['text', 'full']).default('text') }),
    status: 200,
    response: 'text',
    errors: [400, 401, 404],
  }),
  exportRun: route({
    method: 'get',
    path: '/api/runs/:id/export',
    tag: 'runs',
    summary: 'The run as NDJSON: its snapshot, every log line, then its artifact list',
    description: 'Streamed as it is read: a `{kind: "run"}` line, one `{kind: "log"}` line per log line in `seq` order, then `{kind: "artifacts"}`.',
    access: 'runs.export',
    params: ById,
    status: 200,
    response: 'ndjson',
    errors: [401, 404],
  }),
  listArtifacts: route({
    method: 'get',
    path: '/api/runs/:id/artifacts',
    tag: 'runs',
    summary: 'The files the run attached, in the order attached',
    access: 'artifacts.list',
    params: ById,
    status: 200,
    response: ArtifactListDto,
    errors: [401, 404],
  }),
  getArtifact: route({
    method: 'get',
    path: '/api/runs/:id/artifacts/:name',
    tag: 'runs',
    summary: 'One artifact, streamed, always as a download',
    description:
      '`Range: bytes=start-end` answers 206 with that part (one range; several get the whole file), an unsatisfiable range 416 with `Content-Range: bytes */size`. `Content-Disposition: attachment` names the file.',
    access: 'artifacts.read',
    params: z.object({ id: IdParam, name: z.string().meta({ description: 'The artifact name' }) }),
    status: 200,
    response: 'file',
    errors: [401, 404, 416],
  }),
  cancelRun: route({
    method: 'post',
    path: '/api/runs/:id/cancel',
    tag: 'runs',
    summary: 'Cancel a run (job owner, run starter or admin)',
    description: 'A queued run becomes `cancelled` at once; a running one is aborted and becomes `cancelled` within 5 s; 409 for a final run.',
    access: 'runs.cancel',
    params: ById,
    status: 202,
    response: RunDto,
    errors: [401, 403, 404, 409],
  }),
  rerun: route({
    method: 'post',
    path: '/api/runs/:id/rerun',
    tag: 'runs',
    summary: 'Run the same job again',
    description: "A new run of the same job with the old run's (or the given) params. `Idempotency-Key` works as for starting a run.",
    access: 'runs.rerun',
    params: ById,
    headers: ['idempotencyKey'],
    body: StartRunBody,
    status: 201,
    response: RunDto,
    location: '/api/runs/:id',
    errors: [400, 401, 403, 404, 409, 415, 422],
  }),
  healthz: route({
    method: 'get',
    path: '/healthz',
    tag: 'health',
    summary: 'Liveness',
    description: 'Answers while the process lives.',
    access: 'open',
    status: 200,
    response: Health,
    errors: [431],
  }),
  readyz: route({
    method: 'get',
    path: '/readyz',
    tag: 'health',
    summary: 'Readiness: PostgreSQL and Redis answer, and the server is not shutting down',
    description: 'A 503 when a service is unreachable, or while the server shuts down (from SIGTERM on, for SHUTDOWN_DELAY_MS).',
    access: 'open',
    status: 200,
    response: Readiness,
    errors: [431, 503],
  }),
  metrics: route({
    method: 'get',
    path: '/metrics',
    tag: 'health',
    summary: 'Prometheus metrics (text exposition format 0.0.4)',
    description:
      'Runs, queue depth, run outcomes and durations, HTTP requests, live events, the PostgreSQL pool, Redis errors and the Node.js process. With METRICS_TOKEN set, only for `Authorization: Bearer <METRICS_TOKEN>`.',
    access: 'metricsToken',
    status: 200,
    response: 'text',
    errors: [401],
  }),
} as const;

export type ApiRoutes = typeof apiRoutes;
export type OperationId = keyof ApiRoutes;
/** The access-policy actions the routes name. */
export type RouteAction = Exclude<ApiRoutes[OperationId]['access'], 'open' | 'metricsToken'>;

type Nullable<T> = { [K in keyof T]?: T[K] | null };
type Schema<R, K extends string> = R extends { [P in K]: infer S extends z.ZodType } ? S : never;

/** What a caller passes: path params, query (each may be left out or null) and body, as far as the route has them. */
export type RouteInput<R extends RouteSpec> = (R extends { params: z.ZodObject } ? { params: z.input<Schema<R, 'params'>> } : { params?: undefined }) &
  (R extends { query: z.ZodObject } ? { query?: Nullable<z.input<Schema<R, 'query'>>> } : { query?: undefined }) &
  (R extends { body: z.ZodType } ? { body: z.input<Schema<R, 'body'>> } : { body?: undefined }) & { headers?: Record<string, string> };
/** What the route answers, as parsed by its schema. */
export type RouteOutput<R extends RouteSpec> = R['response'] extends z.ZodType
  ? z.output<R['response']>
  : R['response'] extends 'text'
    ? string
    : R['response'] extends 'file' | 'ndjson'
      ? Response
      : void;
/** The query of a route as a caller writes it. */
export type RouteQuery<R extends RouteSpec> = Nullable<z.input<Schema<R, 'query'>>>;

/** `/api/jobs/:id` with `{id}` filled in, each value URL-encoded. */
export function routePath(path: string, params: Record<string, string> | undefined): string {
  return path.replace(/:([A-Za-z]+)/g, (_, name: string) => {
    const value = params?.[name];
    if (value === undefined) throw new Error(`${path}: no value for :${name}`);
    return encodeURIComponent(value);
  });
}

/** What a route's handler receives: path params, query and body as its schemas parse them. */
export type RouteRequest<R extends RouteSpec> = {
  params: R extends { params: z.ZodObject } ? z.output<Schema<R, 'params'>> : Record<string, never>;
  query: R extends { query: z.ZodObject } ? z.output<Schema<R, 'query'>> : Record<string, never>;
  body: R extends { body: z.ZodType } ? z.output<Schema<R, 'body'>> : undefined;
};
/** What a route's handler answers with: a value its response schema accepts. */
export type RouteReply<R extends RouteSpec> = R['response'] extends z.ZodType
  ? z.input<R['response']>
  : R['response'] extends StreamedResponse
    ? unknown
    : void;

/** Parses a route's query (strings from the URL) into its values, or returns the first problem as `name: message`. */
export function parseRouteQuery<R extends RouteSpec>(
  spec: R,
  query: Record<string, string>,
): { ok: true; value: RouteRequest<R>['query'] } | { ok: false; name: string; message: string } {
  if (!spec.query) return { ok: true, value: {} as RouteRequest<R>['query'] };
  const parsed = spec.query.safeParse(query);
  if (parsed.success) return { ok: true, value: parsed.data as RouteRequest<R>['query'] };
  const issue = parsed.error.issues[0]!;
  return { ok: false, name: String(issue.path[0] ?? ''), message: issue.message };
}
