import { z } from 'zod';

/** An integer variable with a default and a lower bound. */
export const intFromEnv = (def: number, min = 0) => z.coerce.number().int().min(min).default(def);

/** A yes/no variable: true, false, 1, 0, yes or no. */
export const flagFromEnv = (def: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(def ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** Secrets published as examples (the old `.env.example` value): never accepted, in any mode. */
export const EXAMPLE_JWT_SECRETS: readonly string[] = ['change-me-to-a-long-random-string'];
/** The shortest JWT_SECRET accepted, in bytes (HS256 wants a key at least as long as its hash). */
export const MIN_JWT_SECRET_BYTES = 32;
const MAKE_SECRET = 'make one with `openssl rand -base64 48` (or let `make start` write one to .env)';

/** Why `secret` cannot sign sessions, or null when it can. */
export function jwtSecretProblem(secret: string): string | null {
  if (EXAMPLE_JWT_SECRETS.includes(secret)) return `is the published example value: ${MAKE_SECRET}`;
  if (Buffer.byteLength(secret, 'utf8') < MIN_JWT_SECRET_BYTES) return `is shorter than ${MIN_JWT_SECRET_BYTES} bytes: ${MAKE_SECRET}`;
  return null;
}

/**
 * JWT_SECRET as every process reads it: unset is allowed here (only the
 * server signs sessions and requires it), but a set value that is the example
 * or too short is refused by every process, so a weak secret never runs
 * anywhere unnoticed.
 */
export const JwtSecretEnv = z.preprocess(
  (v) => (v === '' ? undefined : v),
  z
    .string()
    .optional()
    .superRefine((value, ctx) => {
      const problem = value === undefined ? null : jwtSecretProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
);

/** JWT_SECRET where it is needed (the server): as above, and required. */
export const RequiredJwtSecretEnv = z.preprocess(
  (v) => (v === '' ? undefined : v),
  z.string({ error: `is not set: ${MAKE_SECRET}` }).superRefine((value, ctx) => {
    const problem = jwtSecretProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
);

/** Settings every runnable shares: where PostgreSQL and Redis are, and how runs are retried and reconciled. */
export const BaseEnv = z.object({
  JWT_SECRET: JwtSecretEnv,
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  DATABASE_URL: z.string().default('postgres://postgres@127.0.0.1:5432/jobflow'),
  REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
  /** Prefix of every Redis key and channel, so several installs can share one Redis. */
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/)
    .default('jf'),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  /** `json` or `pretty`; default pretty in development (when pino-pretty is installed), json otherwise. */
  LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
  /** When set, `/metrics` answers only requests with `Authorization: Bearer <METRICS_TOKEN>`. Empty means unset. */
  METRICS_TOKEN: z
    .string()
    .optional()
    .transform((v) => v || undefined),
  DB_POOL_MAX: intFromEnv(10, 1),
  /** false behind a pooler in transaction mode (e.g. PgBouncer): statements then run unnamed. */
  DB_PREPARED_STATEMENTS: flagFromEnv(true),
  RETRY_BASE_MS: intFromEnv(1000),
  RETRY_CAP_MS: intFromEnv(60_000),
  RECONCILE_INTERVAL_MS: intFromEnv(5000, 100),
  RECONCILE_QUEUED_GRACE_MS: intFromEnv(15_000, 0),
  /** A running run whose cancel its worker has not carried out in this time is cancelled without it. */
  CANCEL_GRACE_MS: intFromEnv(4000),
  PUBLIC_URL: z.string().optional(),
});

/** The part of every runnable's config that comes from BaseEnv. */
export const baseConfig = (env: z.infer<typeof BaseEnv>) => ({
  env: env.NODE_ENV,
  databaseUrl: env.DATABASE_URL,
  redisUrl: env.REDIS_URL,
  redisPrefix: env.REDIS_PREFIX,
  logLevel: env.LOG_LEVEL,
  logFormat: env.LOG_FORMAT ?? (env.NODE_ENV === 'development' ? 'pretty' : 'json'),
  metricsToken: env.METRICS_TOKEN,
  dbPoolMax: env.DB_POOL_MAX,
  dbPreparedStatements: env.DB_PREPARED_STATEMENTS,
  backoff: { baseMs: env.RETRY_BASE_MS, capMs: env.RETRY_CAP_MS },
  reconcile: { intervalMs: env.RECONCILE_INTERVAL_MS, queuedGraceMs: env.RECONCILE_QUEUED_GRACE_MS },
  cancelGraceMs: env.CANCEL_GRACE_MS,
});

/** Parses `env` with `schema`, or exits with one readable line per bad variable (saying how to fix it). */
export function parseEnv<T extends z.ZodType>(schema: T, env: NodeJS.ProcessEnv, exit = true): z.infer<T> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const lines = result.error.issues.map((i) => `Invalid configuration: ${i.path.join('.')} ${i.message}`);
  const message = lines.join('\n');
  if (!exit) throw new Error(message);
  console.error(message);
  process.exit(1);
}
