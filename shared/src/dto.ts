import { z } from 'zod';

/** ISO-8601 UTC timestamp, e.g. `2026-11-28T12:00:00.000Z`. */
export const IsoTime = z.string().describe('ISO-8601 UTC timestamp');

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
  id: z.string(),
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

export const TRIGGER_KINDS = ['manual', 'rerun', 'schedule', 'api'] as const;
/** What started a run, and who. */
export const TriggerDto = z.object({
  kind: z.enum(TRIGGER_KINDS),
  userId: z.string().nullable(),
  rerunOf: z.string().optional(),
});
export type TriggerDto = z.infer<typeof TriggerDto>;

export const RUN_ERROR_CODES = ['handler_error', 'timeout', 'cancelled', 'worker_lost', 'invalid_params'] as const;
/** Why a run did not succeed. */
export const RunErrorDto = z.object({ code: z.string(), message: z.string() });
export type RunErrorDto = z.infer<typeof RunErrorDto>;

/** One execution of a job. Clients keep the snapshot with the highest `version`. */
export const RunDto = z.object({
  id: z.string(),
  jobId: z.string(),
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
});
export type RunDto = z.infer<typeof RunDto>;

/** A job definition, run many times. */
export const JobDto = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  type: z.string(),
  params: z.record(z.string(), z.unknown()),
  schedule: ScheduleDto.nullable(),
  timeoutSec: z.number().int().nullable(),
  maxAttempts: z.number().int(),
  /** At most this many runs of the job at once (others wait in `queued`); null = unlimited. */
  maxConcurrentRuns: z.number().int().nullable(),
  ownerId: z.string(),
  createdAt: IsoTime,
  updatedAt: IsoTime,
  lastRun: RunDto.nullable(),
});
export type JobDto = z.infer<typeof JobDto>;

export const LOG_STREAMS = ['stdout', 'stderr', 'system'] as const;
export const LogStream = z.enum(LOG_STREAMS);
export type LogStream = z.infer<typeof LogStream>;

/** One stored line of a run's log. `seq` is 1, 2, 3, ... per run with no gaps. */
export const LogLineDto = z.object({ seq: z.number().int(), ts: IsoTime, stream: LogStream, text: z.string() });
export type LogLineDto = z.infer<typeof LogLineDto>;

/** A personal API token as listed (never the secret). */
export const TokenDto = z.object({
  id: z.string(),
  name: z.string(),
  userId: z.string(),
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

// ---- request bodies -------------------------------------------------------

const Email = z.email().max(254);
const Password = z.string().min(8, 'Use at least 8 characters.').max(1024);
const Name = z.string().trim().min(1).max(200);
const Params = z.record(z.string(), z.unknown());

export const LoginBody = z.object({ email: z.string().max(254), password: z.string().max(1024) });
export type LoginBody = z.infer<typeof LoginBody>;

export const CreateUserBody = z.object({ email: Email, password: Password, name: z.string().trim().max(200).optional(), role: Role });
export type CreateUserBody = z.infer<typeof CreateUserBody>;

export const UpdateUserBody = z
  .object({ name: z.string().trim().max(200), password: Password, role: Role, disabled: z.boolean() })
  .partial()
  .strict();
export type UpdateUserBody = z.infer<typeof UpdateUserBody>;

export const CreateTokenBody = z.object({ name: Name, expiresAt: z.iso.datetime({ offset: true }).nullable().optional() });
export type CreateTokenBody = z.infer<typeof CreateTokenBody>;

export const JobBody = z
  .object({
    name: Name,
    description: z.string().max(10_000).default(''),
    type: z.string().min(1).max(100),
    params: Params.default({}),
    schedule: ScheduleDto.nullable().default(null),
    timeoutSec: z.number().int().min(1).max(7 * 24 * 3600).nullable().default(null),
    maxAttempts: z.number().int().min(1).max(100).default(1),
    maxConcurrentRuns: z.number().int().min(1).max(10_000).nullable().default(null),
  })
  .strict();
export type JobBody = z.infer<typeof JobBody>;

export const UpdateJobBody = z
  .object({
    name: Name,
    description: z.string().max(10_000),
    params: Params,
    schedule: ScheduleDto.nullable(),
    timeoutSec: z.number().int().min(1).max(7 * 24 * 3600).nullable(),
    maxAttempts: z.number().int().min(1).max(100),
    maxConcurrentRuns: z.number().int().min(1).max(10_000).nullable(),
  })
  .partial()
  .strict();
export type UpdateJobBody = z.infer<typeof UpdateJobBody>;

/** Body of `POST /api/jobs/:id/runs` and `POST /api/runs/:id/rerun`. */
export const StartRunBody = z
  .object({ params: Params.optional(), timeoutSec: z.number().int().min(1).max(7 * 24 * 3600).nullable().optional() })
  .strict();
export type StartRunBody = z.infer<typeof StartRunBody>;
