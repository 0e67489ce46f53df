import { z } from 'zod';

/** ISO-8601 UTC timestamp, e.g. `2026-11-28T12:00:00.000Z`. */
export const IsoTime = z.string().meta({ format: 'date-time', description: 'ISO-8601 UTC timestamp' });

/** The id of a stored record (a UUID); clients treat it as opaque. */
export const Id = z.string().meta({ format: 'uuid' });

export const Role = z.enum(['admin', 'user']);
export type Role = z.infer<typeof Role>;

export const RUN_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
/** Where a run stands; `succeeded`, `failed` and `cancelled` are final. */
export const RunStatus = z.enum(RUN_STATUSES);
export type RunStatus = z.infer<typeof RunStatus>;
export const FINAL_STATUSES: readonly RunStatus[] = ['succeeded', 'failed', 'cancelled'];
export const isFinalStatus = (status: RunStatus): boolean => FINAL_STATUSES.includes(status);

/** A person who can sign in. Never carries a password or hash. */
export const UserDto = z.object({
  id: Id,
  email: z.string(),
  name: z.string(),
  role: Role,
  disabled: z.boolean(),
  createdAt: IsoTime,
});
export type UserDto = z.infer<typeof UserDto>;

/** A kind of work a job can do, with the JSON Schema (2020-12) its params follow. */
export const JobTypeDto = z.object({
  type: z.string(),
  title: z.string(),
  description: z.string(),
  paramsSchema: z.record(z.string(), z.unknown()),
  adminOnly: z.boolean(),
});
export type JobTypeDto = z.infer<typeof JobTypeDto>;

/** When a job runs by itself: a 5- or 6-field cron expression in an IANA time zone. */
export const ScheduleDto = z.object({ cron: z.string(), timezone: z.string() });
export type ScheduleDto = z.infer<typeof ScheduleDto>;

export const SCHEDULE_OVERLAP_POLICIES = ['allow', 'skip', 'queue'] as const;
export const SCHEDULE_MISSED_POLICIES = ['skip', 'run-once'] as const;
/**
 * What a schedule does with a due time that comes while an earlier run of the
 * job is still queued or running (`overlap`: `allow` starts another run, `skip`
 * records the due time as `skipped-overlap`, `queue` starts a run that waits
 * in `queued` until the earlier one finishes), and with due times that passed
 * while no scheduler was up (`missed`: `skip` records them as `missed`,
 * `run-once` also starts one run for the latest of them, recorded as `caught-up`).
 */
export const SchedulePolicyDto = z.object({ overlap: z.enum(SCHEDULE_OVERLAP_POLICIES), missed: z.enum(SCHEDULE_MISSED_POLICIES) });
export type SchedulePolicyDto = z.infer<typeof SchedulePolicyDto>;
export const DEFAULT_SCHEDULE_POLICY: SchedulePolicyDto = { overlap: 'allow', missed: 'skip' };

export const SCHEDULE_FIRE_OUTCOMES = ['started', 'skipped-overlap', 'missed', 'caught-up', 'paused-owner-disabled'] as const;
/** One due time of a job's schedule and what became of it; every due time gets exactly one. */
export const ScheduleFireDto = z.object({
  id: z.string(),
  jobId: z.string(),
  /** The due time the cron expression gave (UTC). */
  dueAt: IsoTime,
  /** `started`: a run was started on time; `skipped-overlap`: not run, an earlier run was still going; `missed`: passed while no scheduler was up; `caught-up`: a missed due time run late under the `run-once` policy; `paused-owner-disabled`: not run, the job's owner is disabled (until re-enabled or the job gets another owner). */
  outcome: z.enum(SCHEDULE_FIRE_OUTCOMES),
  /** The run it started (`started`, `caught-up`), else null. */
  runId: z.string().nullable(),
  /** That run's current status, or null. */
  runStatus: RunStatus.nullable(),
  /** When the due time was recorded. */
  createdAt: IsoTime,
});
export type ScheduleFireDto = z.infer<typeof ScheduleFireDto>;

/** The next due times of a job's schedule (none while paused or unscheduled). */
export const ScheduleNextDto = z.object({
  timezone: z.string().nullable(),
  paused: z.boolean(),
  /** `at`: the due time in UTC; `local`: the same instant in the job's zone, ISO-8601 with its offset (`2026-03-08T03:00:00-04:00`). */
  items: z.array(z.object({ at: IsoTime, local: z.string() })),
});
export type ScheduleNextDto = z.infer<typeof ScheduleNextDto>;

export const NOTIFICATION_EVENTS = ['started', 'succeeded', 'failed', 'cancelled'] as const;
/** A run event a notification target can be sent: the run started (first attempt), or ended so. */
export const NotificationEvent = z.enum(NOTIFICATION_EVENTS);
export type NotificationEvent = z.infer<typeof NotificationEvent>;

/**
 * Where a job's run events are sent, as the API shows it: secrets masked
 * (`****` and the last 4 characters). `webhook`: a signed JSON POST to `url`;
 * `slack`: a message to a Slack incoming-webhook `url`; `email`: a mail to `to`.
 */
export const NotificationTargetDto = z.discriminatedUnion('kind', [
  z.object({ id: z.string(), kind: z.literal('webhook'), on: z.array(NotificationEvent), url: z.string(), secret: z.string() }),
  z.object({ id: z.string(), kind: z.literal('slack'), on: z.array(NotificationEvent), url: z.string() }),
  z.object({ id: z.string(), kind: z.literal('email'), on: z.array(NotificationEvent), to: z.array(z.string()) }),
]);
export type NotificationTargetDto = z.infer<typeof NotificationTargetDto>;

export const TRIGGER_KINDS = ['manual', 'rerun', 'schedule', 'api'] as const;
/** What started a run, and who. */
export const TriggerDto = z.object({
  kind: z.enum(TRIGGER_KINDS),
  userId: Id.nullable(),
  rerunOf: Id.optional(),
});
export type TriggerDto = z.infer<typeof TriggerDto>;

/** Why a run did not succeed: `code` is `handler_error`, `timeout`, `cancelled`, `worker_lost` or `invalid_params`. */
export const RunErrorDto = z.object({ code: z.string(), message: z.string() });
export type RunErrorDto = z.infer<typeof RunErrorDto>;

/** One execution of a job. Clients keep the snapshot with the highest `version`. */
export const RunDto = z.object({
  id: Id,
  jobId: Id,
  jobName: z.string(),
  status: RunStatus,
  params: z.record(z.string(), z.unknown()),
  /** The attempt in progress or last made, from 1. */
  attempt: z.number().int(),
  maxAttempts: z.number().int(),
  /** `null` or a fraction in [0, 1]. */
  progress: z.number().nullable(),
  queuedAt: IsoTime,
  startedAt: IsoTime.nullable(),
  finishedAt: IsoTime.nullable(),
  durationMs: z.number().nullable(),
  result: z.record(z.string(), z.unknown()).nullable(),
  error: RunErrorDto.nullable(),
  trigger: TriggerDto,
  /** Stored log lines when the snapshot was taken; live growth arrives as `run:log`. */
  logCount: z.number().int(),
  /** Starts at 1 and grows by one on every change of the run's stored state. */
  version: z.number().int(),
  /** Seconds the run may take before it fails with `timeout`, or null for no limit. */
  timeoutSec: z.number().int().nullable(),
  /** The run was started with params that differ from its job's params at that time. */
  paramsChanged: z.boolean().default(false),
  /** While a failed attempt waits for the next one (`queued`, attempt > 1): when that attempt is due; else null. */
  retryAt: IsoTime.nullable().default(null),
});
export type RunDto = z.infer<typeof RunDto>;

/**
 * A run without its `params` and `result`: what lists and the `dashboard` and
 * `job` topics carry, so one run with large params costs every listener
 * little. `GET /api/runs/:id` and the `run` topic give the whole run.
 */
export const RunSummaryDto = RunDto.omit({ params: true, result: true });
export type RunSummaryDto = z.infer<typeof RunSummaryDto>;

/** The run's summary: the same object without `params` and `result`. */
export function runSummaryOf(run: RunDto | RunSummaryDto): RunSummaryDto {
  const { params: _params, result: _result, ...summary } = run as RunDto;
  return summary;
}

export const ATTEMPT_OUTCOMES = ['succeeded', 'failed', 'cancelled', 'retried'] as const;
/** One attempt of a run: the worker that ran it, when, and how it ended (`retried`: it failed and another attempt followed). */
export const RunAttemptDto = z.object({
  attempt: z.number().int(),
  /** The worker process that ran it (its id, as `GET /api/workers` lists it). */
  workerId: z.string().nullable(),
  /** That worker's name when the attempt started (null for attempts stored before workers registered). */
  workerName: z.string().nullable().default(null),
  startedAt: IsoTime,
  /** Null while the attempt runs. */
  finishedAt: IsoTime.nullable(),
  outcome: z.enum(ATTEMPT_OUTCOMES).nullable(),
  error: RunErrorDto.nullable(),
});
export type RunAttemptDto = z.infer<typeof RunAttemptDto>;

/** A user's display name (their name, or their email when unnamed), for everyone signed in: who owns a job, who started a run. */
export const PersonDto = z.object({ id: Id, name: z.string() });
export type PersonDto = z.infer<typeof PersonDto>;

/** A job definition, run many times. */
export const JobDto = z.object({
  id: Id,
  name: z.string(),
  description: z.string(),
  type: z.string(),
  params: z.record(z.string(), z.unknown()),
  schedule: ScheduleDto.nullable(),
  timeoutSec: z.number().int().nullable(),
  maxAttempts: z.number().int(),
  /** At most this many runs of the job at once (others wait in `queued`); null = unlimited. */
  maxConcurrentRuns: z.number().int().nullable(),
  /** How the schedule treats overlapping runs and missed due times. */
  schedulePolicy: SchedulePolicyDto,
  /** A paused schedule keeps its definition but starts nothing; due times while paused are not recorded. */
  schedulePaused: z.boolean(),
  /** Where run events are sent (secrets masked). */
  notifications: z.array(NotificationTargetDto),
  /** A disabled job can neither be run (`409 job_disabled`) nor fire on its schedule. */
  enabled: z.boolean().default(true),
  /** Labels to find the job by (lowercase letters, digits, `-`, `_`, `.`, `:`; at most 20). */
  tags: z.array(z.string()).default([]),
  /** The newest this many runs of the job are kept; older finished ones are purged (null: no limit by count). */
  keepRuns: z.number().int().nullable(),
  /** Finished runs older than this many days are purged (null: only `RUN_RETENTION_DAYS` applies). */
  keepDays: z.number().int().nullable(),
  ownerId: Id,
  /** The owner's name (or email when unnamed), so every user, not only admins, can see who owns a job. */
  ownerName: z.string().optional(),
  /** Starts at 1 and grows by one with each change of the definition; `GET` sends it as the `ETag`, `PATCH` takes it in `If-Match`. */
  version: z.number().int(),
  createdAt: IsoTime,
  updatedAt: IsoTime,
  lastRun: RunDto.nullable(),
});
export type JobDto = z.infer<typeof JobDto>;

/** A job without its `params` (and its last run as a summary): what lists and the `dashboard` and `job` topics carry. `GET /api/jobs/:id` gives the whole job. */
export const JobSummaryDto = JobDto.omit({ params: true }).extend({ lastRun: RunSummaryDto.nullable() });
export type JobSummaryDto = z.infer<typeof JobSummaryDto>;

/** The job's summary: the same object without `params`, its last run summarized. */
export function jobSummaryOf(job: JobDto | JobSummaryDto): JobSummaryDto {
  const { params: _params, ...summary } = job as JobDto;
  return { ...summary, lastRun: summary.lastRun ? runSummaryOf(summary.lastRun) : null };
}

export const LOG_STREAMS = ['stdout', 'stderr', 'system'] as const;
export const LogStream = z.enum(LOG_STREAMS);
export type LogStream = z.infer<typeof LogStream>;

/** One stored line of a run's log. `seq` is 1, 2, 3, ... per run with no gaps. */
export const LogLineDto = z.object({ seq: z.number().int(), ts: IsoTime, stream: LogStream, text: z.string() });
export type LogLineDto = z.infer<typeof LogLineDto>;

/**
 * A stored line that matched a search (`GET /api/logs/search`), with its
 * run. `match` holds each occurrence of the searched text in `text` as
 * `[start, end)` offsets in UTF-16 code units (JavaScript string indices).
 */
export const LogHitDto = z.object({
  run: RunSummaryDto,
  seq: z.number().int(),
  ts: IsoTime,
  text: z.string(),
  match: z.array(z.tuple([z.number().int(), z.number().int()])),
});
export type LogHitDto = z.infer<typeof LogHitDto>;

/** What a job's runs hold in the database (`GET /api/jobs/:id/storage`). */
export const JobStorageDto = z.object({
  runs: z.number().int(),
  /** Stored log lines. */
  lines: z.number().int(),
  /** Bytes of log line text (UTF-8). */
  bytes: z.number().int(),
});
export type JobStorageDto = z.infer<typeof JobStorageDto>;

/** A personal API token as listed (never the secret). */
export const TokenDto = z.object({
  id: Id,
  name: z.string(),
  userId: Id,
  createdAt: IsoTime,
  expiresAt: IsoTime.nullable(),
  lastUsedAt: IsoTime.nullable(),
});
export type TokenDto = z.infer<typeof TokenDto>;

/** A token as created: the only time its secret is shown. */
export const CreatedTokenDto = TokenDto.extend({ token: z.string() });
export type CreatedTokenDto = z.infer<typeof CreatedTokenDto>;

export const page = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: z.string().nullable() });
export type Page<T> = { items: T[]; nextCursor: string | null };

export const LogPageDto = z.object({ items: z.array(LogLineDto), nextAfter: z.number().int() });
export type LogPageDto = z.infer<typeof LogPageDto>;

export const LoginResponse = z.object({ token: z.string(), expiresAt: IsoTime, user: UserDto });
export type LoginResponse = z.infer<typeof LoginResponse>;

/** The answer to a `session: "cookie"` sign-in: the session is in the HttpOnly cookie, never in the body. */
export const CookieLoginResponse = LoginResponse.omit({ token: true });
export type CookieLoginResponse = z.infer<typeof CookieLoginResponse>;

// ---- request bodies -------------------------------------------------------

const Email = z.email().max(254);
const Password = z.string().min(8, 'Use at least 8 characters.').max(1024);
const Name = z.string().trim().min(1).max(200);
const Params = z.record(z.string(), z.unknown());

/**
 * `session: "cookie"` (what the browser UI sends) keeps the session in an
 * HttpOnly cookie instead of returning it: the answer then has no `token`.
 */
export const LoginBody = z.object({ email: z.string().max(254), password: z.string().max(1024), session: z.enum(['token', 'cookie']).optional() });
export type LoginBody = z.infer<typeof LoginBody>;

export const CreateUserBody = z.object({ email: Email, password: Password, name: z.string().trim().max(200).optional(), role: Role });
export type CreateUserBody = z.infer<typeof CreateUserBody>;

/**
 * A new password, a role change or disabling ends the user's sessions;
 * `revokeTokens: true` (with a new password) also revokes their API tokens.
 */
export const UpdateUserBody = z
  .object({ name: z.string().trim().max(200), password: Password, role: Role, disabled: z.boolean(), revokeTokens: z.boolean() })
  .partial()
  .strict();
export type UpdateUserBody = z.infer<typeof UpdateUserBody>;

export const CreateTokenBody = z.object({ name: Name, expiresAt: z.iso.datetime({ offset: true }).nullable().optional() });
export type CreateTokenBody = z.infer<typeof CreateTokenBody>;

const HttpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2000);
const NotifyOn = z.array(NotificationEvent).min(1).max(NOTIFICATION_EVENTS.length);
const TargetId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
/**
 * A notification target as written. A new `webhook` needs its `secret`
 * (16+ characters) and a new `slack` target its `url`; to keep a stored
 * secret, send the target's `id` with the secret omitted (or as shown, masked).
 */
export const NotificationTargetBody = z.discriminatedUnion('kind', [
  z.object({ id: TargetId.optional(), kind: z.literal('webhook'), on: NotifyOn, url: HttpUrl, secret: z.string().max(1024).optional() }).strict(),
  z.object({ id: TargetId.optional(), kind: z.literal('slack'), on: NotifyOn, url: z.string().max(2000).optional() }).strict(),
  z.object({ id: TargetId.optional(), kind: z.literal('email'), on: NotifyOn, to: z.array(Email).min(1).max(20) }).strict(),
]);
export type NotificationTargetBody = z.infer<typeof NotificationTargetBody>;
const Notifications = z.array(NotificationTargetBody).max(20);

/** A job's tag: 1 to 40 lowercase letters, digits, `-`, `_`, `.` or `:`, starting with a letter or digit. */
export const TAG_PATTERN = /^[a-z0-9][a-z0-9._:-]{0,39}$/;
export const MAX_TAGS = 20;
const Tags = z
  .array(z.string().regex(TAG_PATTERN, 'must be 1 to 40 lowercase letters, digits, "-", "_", "." or ":", starting with a letter or digit'))
  .max(MAX_TAGS)
  .transform((tags) => [...new Set(tags)]);

export const JobBody = z
  .object({
    name: Name,
    description: z.string().max(10_000).default(''),
    type: z.string().min(1).max(100),
    params: Params.default({}),
    schedule: ScheduleDto.nullable().default(null),
    timeoutSec: z
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 3600)
      .nullable()
      .default(null),
    maxAttempts: z.number().int().min(1).max(100).default(1),
    maxConcurrentRuns: z.number().int().min(1).max(10_000).nullable().default(null),
    /** Missing fields take the defaults: overlap `allow`, missed `skip`. */
    schedulePolicy: SchedulePolicyDto.partial().strict().default({}),
    schedulePaused: z.boolean().default(false),
    notifications: Notifications.default([]),
    enabled: z.boolean().default(true),
    tags: Tags.default([]),
    keepRuns: z.number().int().min(1).max(1_000_000).nullable().default(null),
    keepDays: z.number().int().min(1).max(36_500).nullable().default(null),
  })
  .strict();
export type JobBody = z.infer<typeof JobBody>;

export const UpdateJobBody = z
  .object({
    name: Name,
    description: z.string().max(10_000),
    params: Params,
    schedule: ScheduleDto.nullable(),
    timeoutSec: z
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 3600)
      .nullable(),
    maxAttempts: z.number().int().min(1).max(100),
    maxConcurrentRuns: z.number().int().min(1).max(10_000).nullable(),
    /** Only the given policy fields change. */
    schedulePolicy: SchedulePolicyDto.partial().strict(),
    schedulePaused: z.boolean(),
    /** Replaces the whole list. */
    notifications: Notifications,
    /** `false` stops the job: it cannot be run and its schedule fires nothing until enabled again. */
    enabled: z.boolean(),
    /** Replaces the whole list. */
    tags: Tags,
    keepRuns: z.number().int().min(1).max(1_000_000).nullable(),
    keepDays: z.number().int().min(1).max(36_500).nullable(),
    /** Admins only: gives the job to another enabled user (its schedule then runs again if its owner was disabled). */
    ownerId: z.string().max(100),
  })
  .partial()
  .strict();
export type UpdateJobBody = z.infer<typeof UpdateJobBody>;

/** Body of `POST /api/jobs/:id/runs` and `POST /api/runs/:id/rerun`. */
export const StartRunBody = z
  .object({
    params: Params.optional(),
    timeoutSec: z
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 3600)
      .nullable()
      .optional(),
  })
  .strict();
export type StartRunBody = z.infer<typeof StartRunBody>;

/** Run counts for the dashboard: now, and per hour over a recent window. */
export const RunStatsDto = z.object({
  /** Start of the window (the top of the hour `hours` hours ago). */
  since: IsoTime,
  /** Runs queued or running right now. */
  active: z.object({ queued: z.number().int(), running: z.number().int() }),
  /** Runs that finished within the window, by outcome. */
  finished: z.object({ succeeded: z.number().int(), failed: z.number().int(), cancelled: z.number().int() }),
  /** One bucket per hour, oldest first, by the hour the run finished in. */
  hourly: z.array(z.object({ hour: IsoTime, succeeded: z.number().int(), failed: z.number().int(), cancelled: z.number().int() })),
});
export type RunStatsDto = z.infer<typeof RunStatsDto>;

/** How many runs wait in the queue, and since when: in all and per job (jobs with the oldest waiting run first). */
export const QueueDto = z.object({
  /** Runs in `queued` now (first attempts and retries waiting for their turn). */
  queued: z.number().int(),
  /** When the run that has waited longest was queued; null when none waits. */
  oldestQueuedAt: IsoTime.nullable(),
  jobs: z.array(z.object({ jobId: z.string(), jobName: z.string(), queued: z.number().int(), oldestQueuedAt: IsoTime })),
});
export type QueueDto = z.infer<typeof QueueDto>;

/** The coming due times across every enabled job whose schedule is not paused, soonest first. */
export const UpcomingDto = z.object({
  items: z.array(
    z.object({
      jobId: z.string(),
      jobName: z.string(),
      /** The due time in UTC. */
      at: IsoTime,
      /** The same instant in the job's zone, ISO-8601 with its offset. */
      local: z.string(),
      timezone: z.string(),
      cron: z.string(),
    }),
  ),
});
export type UpcomingDto = z.infer<typeof UpcomingDto>;

// ---- workers ---------------------------------------------------------------

export const WORKER_STATES = ['active', 'draining', 'lost'] as const;
/**
 * `active`: beating and taking runs; `draining`: beating, finishing the runs
 * it holds but taking no new one; `lost`: no heartbeat within three of its
 * heartbeat intervals (its runs are retried or failed by the reconcilers).
 */
export const WorkerState = z.enum(WORKER_STATES);
export type WorkerState = z.infer<typeof WorkerState>;

/** A run a worker holds right now. */
export const WorkerRunDto = z.object({ id: z.string(), jobId: z.string(), jobName: z.string(), attempt: z.number().int(), startedAt: IsoTime.nullable() });
export type WorkerRunDto = z.infer<typeof WorkerRunDto>;

/** One worker process, as it registered itself and as its heartbeats keep it. */
export const WorkerDto = z.object({
  /** Unique per process (`WORKER_ID` when set, so a restarted worker keeps its id and its drain). */
  id: z.string(),
  /** What people call it (`WORKER_NAME`, else host and pid). */
  name: z.string(),
  host: z.string(),
  pid: z.number().int(),
  /** The Jobflow version it runs. */
  version: z.string(),
  /** Runs it executes at once at most. */
  concurrency: z.number().int(),
  state: WorkerState,
  /** An admin asked it to drain (it keeps draining after a restart with the same id until resumed). */
  isDraining: z.boolean(),
  startedAt: IsoTime,
  lastHeartbeatAt: IsoTime,
  /** How often it beats; three missed beats make it `lost`. */
  heartbeatMs: z.number().int(),
  /** Set in the last snapshot of a worker that stopped on purpose (it is no longer listed); null otherwise. */
  stoppedAt: IsoTime.nullable(),
  /** The runs it holds (running on it). */
  runs: z.array(WorkerRunDto),
});
export type WorkerDto = z.infer<typeof WorkerDto>;

// ---- audit log -------------------------------------------------------------

/**
 * What an audit entry records: sign-ins (and failed ones), sign-outs, API
 * tokens, users, jobs and runs, as facts in the past tense.
 */
export const AUDIT_ACTIONS = [
  'session.signed_in',
  'session.sign_in_failed',
  'session.signed_out',
  'token.created',
  'token.revoked',
  'user.created',
  'user.changed',
  'user.disabled',
  'user.enabled',
  'user.deleted',
  'job.created',
  'job.changed',
  'job.deleted',
  'run.started',
  'run.cancelled',
  'run.rerun',
  'worker.drained',
  'worker.resumed',
] as const;
export const AuditAction = z.enum(AUDIT_ACTIONS);
export type AuditAction = z.infer<typeof AuditAction>;

export const AUDIT_TARGET_TYPES = ['session', 'token', 'user', 'job', 'run', 'worker'] as const;
export const AuditTargetType = z.enum(AUDIT_TARGET_TYPES);
export type AuditTargetType = z.infer<typeof AuditTargetType>;

/** One entry of the append-only audit log: who did what to what, when, and from where. */
export const AuditEntryDto = z.object({
  id: Id,
  at: IsoTime,
  /** Who acted: the user (null for a failed sign-in of an unknown address), and the API token used (null for a session). */
  actor: z.object({ userId: Id.nullable(), tokenId: Id.nullable(), email: z.string().nullable() }),
  action: AuditAction,
  target: z.object({ type: AuditTargetType, id: z.string().nullable() }),
  /**
   * What changed: `{field: {before, after}}` for changes (secrets masked as
   * the API shows them), else what identifies the fact (e.g. the email a
   * failed sign-in tried); null when nothing more is recorded.
   */
  changes: z.record(z.string(), z.unknown()).nullable(),
  /** The client's address (behind TRUST_PROXY proxies, the one they report). */
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
});
export type AuditEntryDto = z.infer<typeof AuditEntryDto>;
