import { z } from 'zod';

/** An integer variable with a default and a lower bound. */
export const intFromEnv = (def: number, min = 0) => z.coerce.number().int().min(min).default(def);

/** Settings every runnable shares: where PostgreSQL and Redis are, and how runs are retried and reconciled. */
export const BaseEnv = z.object({
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
  RETRY_BASE_MS: intFromEnv(1000),
  RETRY_CAP_MS: intFromEnv(60_000),
  RECONCILE_INTERVAL_MS: intFromEnv(5000, 100),
  RECONCILE_QUEUED_GRACE_MS: intFromEnv(15_000, 0),
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
  backoff: { baseMs: env.RETRY_BASE_MS, capMs: env.RETRY_CAP_MS },
  reconcile: { intervalMs: env.RECONCILE_INTERVAL_MS, queuedGraceMs: env.RECONCILE_QUEUED_GRACE_MS },
});

/** Parses `env` with `schema`, or exits with one readable line per bad variable. */
export function parseEnv<T extends z.ZodType>(schema: T, env: NodeJS.ProcessEnv, exit = true): z.infer<T> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const lines = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
  const message = `Invalid configuration:\n${lines.join('\n')}`;
  if (!exit) throw new Error(message);
  console.error(message);
  process.exit(1);
}
