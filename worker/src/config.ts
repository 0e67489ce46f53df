import { z } from 'zod';
import { DEFAULT_RETENTION_OPTIONS } from '@jobflow/core/runs';
import { BaseEnv, SecretsEnv, baseConfig, flagFromEnv, intFromEnv, parseCidrList, parseEnv, secretsConfig } from '@jobflow/core/platform';

const WorkerEnv = BaseEnv.extend(SecretsEnv.shape).extend({
  WORKER_CONCURRENCY: intFromEnv(10, 1),
  WORKER_ID: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]+$/)
    .optional(),
  /** What the workers view calls this worker (default: host name and pid). */
  WORKER_NAME: z.string().trim().min(1).max(200).optional(),
  STALL_INTERVAL_MS: intFromEnv(5000, 500),
  HEARTBEAT_MS: intFromEnv(2000, 200),
  SHUTDOWN_GRACE_MS: intFromEnv(10_000),
  /** Port of /healthz, /readyz and /metrics; 0 turns them off. */
  HEALTH_PORT: z.coerce.number().int().min(0).max(65_535).default(3001),
  /** Address the health port listens on. */
  HOST: z.string().default('0.0.0.0'),
  ABORT_GRACE_MS: intFromEnv(2000, 100),
  LOG_FLUSH_MS: intFromEnv(0, 0),
  LOG_FLUSH_LINES: intFromEnv(500, 1),
  LOG_MAX_LINE_CHARS: intFromEnv(16_384, 80),
  HTTP_ALLOWED_HOSTS: z
    .string()
    .optional()
    .transform((v) =>
      v
        ? v
            .split(',')
            .map((h) => h.trim().toLowerCase())
            .filter(Boolean)
        : undefined,
    ),
  /** Address ranges outbound requests may reach besides the public internet (loopback, private, link-local, ... are closed). */
  EGRESS_ALLOW_CIDRS: z
    .string()
    .optional()
    .transform((v, ctx) => {
      try {
        return parseCidrList(v ?? '');
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    }),
  DATA_CHECK_PATTERN_BUDGET_MS: intFromEnv(30_000, 1),
  SCHEDULER_ENABLED: flagFromEnv(true),
  SCHEDULE_GRACE_MS: intFromEnv(30_000),
  SCHEDULER_MAX_SLEEP_MS: intFromEnv(5000, 100),
  SCHEDULE_HISTORY_DAYS: intFromEnv(30, 0),
  /** Finished runs older than this many days are purged with their lines; unset keeps them (jobs may still set keepRuns / keepDays). */
  RUN_RETENTION_DAYS: z.coerce.number().int().min(1).max(36_500).optional(),
  /** Between two retention sweeps (one worker at a time sweeps, whichever holds the lease). */
  RETENTION_SWEEP_MS: intFromEnv(300_000, 1000),
  NOTIFY_MAX_ATTEMPTS: intFromEnv(8, 1),
  NOTIFY_RETRY_BASE_MS: intFromEnv(2000, 10),
  NOTIFY_TIMEOUT_MS: intFromEnv(10_000, 100),
  NOTIFY_CONCURRENCY: intFromEnv(5, 1),
  SMTP_HOST: z.string().optional(),
  SMTP_PORT: intFromEnv(587, 1),
  SMTP_SECURE: flagFromEnv(false),
  SMTP_USER: z.string().optional(),
  SMTP_PASSWORD: z.string().optional(),
  SMTP_FROM: z.string().default('Jobflow <jobflow@localhost>'),
  SMTP_TLS_REJECT_UNAUTHORIZED: flagFromEnv(true),
});

export type WorkerConfig = ReturnType<typeof toConfig>;

function toConfig(env: z.infer<typeof WorkerEnv>) {
  return {
    ...baseConfig(env),
    /** Keys that open the secrets of the params a run executes with, and of notification targets. */
    secrets: secretsConfig(env),
    workerId: env.WORKER_ID,
    workerName: env.WORKER_NAME,
    concurrency: env.WORKER_CONCURRENCY,
    stallIntervalMs: env.STALL_INTERVAL_MS,
    heartbeatMs: env.HEARTBEAT_MS,
    shutdownGraceMs: env.SHUTDOWN_GRACE_MS,
    healthPort: env.HEALTH_PORT,
    host: env.HOST,
    abortGraceMs: env.ABORT_GRACE_MS,
    logFlushMs: env.LOG_FLUSH_MS,
    logFlushLines: env.LOG_FLUSH_LINES,
    logMaxLineChars: env.LOG_MAX_LINE_CHARS,
    /** Host names outbound requests may go to (HTTP_ALLOWED_HOSTS); undefined: any. */
    httpAllowedHosts: env.HTTP_ALLOWED_HOSTS,
    /** Ranges opened besides public addresses (EGRESS_ALLOW_CIDRS), e.g. `10.0.0.0/8`. */
    egressAllowCidrs: env.EGRESS_ALLOW_CIDRS,
    /** Total time one data-check run's guarded pattern matches may take. */
    dataCheckPatternBudgetMs: env.DATA_CHECK_PATTERN_BUDGET_MS,
    /** Base of the links in notifications (the UI's address as users reach it). */
    publicUrl: env.PUBLIC_URL ?? 'http://localhost:3000',
    scheduler: {
      isEnabled: env.SCHEDULER_ENABLED,
      graceMs: env.SCHEDULE_GRACE_MS,
      maxSleepMs: env.SCHEDULER_MAX_SLEEP_MS,
      historyDays: env.SCHEDULE_HISTORY_DAYS,
    },
    retention: { ...DEFAULT_RETENTION_OPTIONS, retentionDays: env.RUN_RETENTION_DAYS ?? null, intervalMs: env.RETENTION_SWEEP_MS },
    notify: {
      maxAttempts: env.NOTIFY_MAX_ATTEMPTS,
      retryBaseMs: env.NOTIFY_RETRY_BASE_MS,
      timeoutMs: env.NOTIFY_TIMEOUT_MS,
      concurrency: env.NOTIFY_CONCURRENCY,
    },
    /** SMTP for email notifications; null when SMTP_HOST is not set (email targets then fail with a log line). */
    smtp: env.SMTP_HOST
      ? {
          host: env.SMTP_HOST,
          port: env.SMTP_PORT,
          secure: env.SMTP_SECURE,
          user: env.SMTP_USER,
          password: env.SMTP_PASSWORD,
          from: env.SMTP_FROM,
          rejectUnauthorized: env.SMTP_TLS_REJECT_UNAUTHORIZED,
        }
      : null,
  };
}

/** Reads the worker's configuration from the environment (the only place that does). */
export const loadWorkerConfig = (env: NodeJS.ProcessEnv, overrides: Partial<WorkerConfig> = {}): WorkerConfig => ({
  ...toConfig(parseEnv(WorkerEnv, env)),
  ...overrides,
});
