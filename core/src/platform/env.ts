import { z } from 'zod';
import { operatorEndpoint } from './egress';
import { postgresTls } from './postgres-connection';
import { redisConnection } from './redis';

/** An integer variable with a default and a lower bound. */
export const intFromEnv = (def: number, min = 0) => z.coerce.number().int().min(min).default(def);

/** A yes/no variable: true, false, 1, 0, yes or no. */
export const flagFromEnv = (def: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(def ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** A text variable where empty means unset. */
const optionalText = z
  .string()
  .optional()
  .transform((v) => v || undefined);

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

/** A zod refinement that reports what `parse` throws, as the variable's problem. */
function refineWith(parse: (value: string) => unknown) {
  return (value: string, ctx: z.RefinementCtx) => {
    try {
      parse(value);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message });
    }
  };
}

/** A PostgreSQL URL, with TLS settings as libpq reads them: `sslmode`, `sslrootcert`, `sslcert`, `sslkey` (see `postgresTls`). */
export const DatabaseUrlEnv = z.string().superRefine(refineWith(postgresTls));

/** Settings every runnable shares: where PostgreSQL and Redis are, and how runs are retried and reconciled. */
export const BaseEnv = z.object({
  JWT_SECRET: JwtSecretEnv,
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  DATABASE_URL: DatabaseUrlEnv.default('postgres://postgres@127.0.0.1:5432/jobflow'),
  /** `redis://` or `rediss://` (TLS), with `user:password@` for an ACL user or `:password@` for `requirepass`. */
  REDIS_URL: z.string().default('redis://127.0.0.1:6379').superRefine(refineWith(redisConnection)),
  /** PEM file of the CAs a `rediss://` server's certificate must chain to (default: Node's public CAs). */
  REDIS_TLS_CA_FILE: z
    .string()
    .optional()
    .transform((v) => v || undefined),
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
  /** How long a sweep lease lasts unrenewed: another process takes over the sweeps of one that died within this time. */
  SWEEP_LEASE_MS: intFromEnv(15_000, 300),
  /** A running run whose cancel its worker has not carried out in this time is cancelled without it. */
  CANCEL_GRACE_MS: intFromEnv(4000),
  PUBLIC_URL: z.string().optional(),
  /** Where runs' artifacts are stored: `postgres` (chunk rows, the default) or `s3` (an S3-compatible bucket, S3_*). */
  ARTIFACTS_STORE: z.enum(['postgres', 's3']).default('postgres'),
  /** The largest artifact, in bytes (default 512 MiB). */
  ARTIFACT_MAX_BYTES: intFromEnv(512 * 1024 * 1024, 0),
  /** The most bytes one run's artifacts may hold together (default 2 GiB). */
  ARTIFACT_MAX_RUN_BYTES: intFromEnv(2 * 1024 * 1024 * 1024, 0),
  /** The bucket's endpoint, e.g. `https://s3.example.com` or `http://127.0.0.1:9000`; unset: AWS S3 in S3_REGION. */
  S3_ENDPOINT: optionalText,
  S3_BUCKET: optionalText,
  S3_REGION: z.string().default('us-east-1'),
  S3_ACCESS_KEY_ID: optionalText,
  S3_SECRET_ACCESS_KEY: optionalText,
  /** Path-style URLs (`endpoint/bucket/key`), as most S3-compatible servers want; false: virtual-hosted style. */
  S3_FORCE_PATH_STYLE: flagFromEnv(true),
});

/** The artifact store's settings, checked together: throws a readable error for a missing or bad one. */
function artifactsConfig(env: z.infer<typeof BaseEnv>) {
  const s3 = () => {
    if (!env.S3_BUCKET) throw new Error('Invalid configuration: S3_BUCKET is required with ARTIFACTS_STORE=s3');
    if (!env.S3_ACCESS_KEY_ID !== !env.S3_SECRET_ACCESS_KEY) {
      throw new Error('Invalid configuration: S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY are set together (or neither, for the default AWS credentials)');
    }
    if (env.S3_ENDPOINT) operatorEndpoint('S3_ENDPOINT', env.S3_ENDPOINT);
    return {
      endpoint: env.S3_ENDPOINT,
      bucket: env.S3_BUCKET,
      region: env.S3_REGION,
      accessKeyId: env.S3_ACCESS_KEY_ID,
      secretAccessKey: env.S3_SECRET_ACCESS_KEY,
      forcePathStyle: env.S3_FORCE_PATH_STYLE,
    };
  };
  return {
    store: env.ARTIFACTS_STORE,
    maxBytes: env.ARTIFACT_MAX_BYTES,
    maxRunBytes: env.ARTIFACT_MAX_RUN_BYTES,
    s3: env.ARTIFACTS_STORE === 's3' ? s3() : undefined,
  };
}

/** The part of every runnable's config that comes from BaseEnv. */
export const baseConfig = (env: z.infer<typeof BaseEnv>) => ({
  env: env.NODE_ENV,
  databaseUrl: env.DATABASE_URL,
  /** TLS of every PostgreSQL connection, from DATABASE_URL's parameters. */
  dbSsl: postgresTls(env.DATABASE_URL),
  redisUrl: env.REDIS_URL,
  /** Every Redis client's host, login and TLS, from REDIS_URL and REDIS_TLS_CA_FILE. */
  redisConnection: redisConnection(env.REDIS_URL, { caFile: env.REDIS_TLS_CA_FILE }),
  redisPrefix: env.REDIS_PREFIX,
  logLevel: env.LOG_LEVEL,
  logFormat: env.LOG_FORMAT ?? (env.NODE_ENV === 'development' ? 'pretty' : 'json'),
  metricsToken: env.METRICS_TOKEN,
  dbPoolMax: env.DB_POOL_MAX,
  dbPreparedStatements: env.DB_PREPARED_STATEMENTS,
  backoff: { baseMs: env.RETRY_BASE_MS, capMs: env.RETRY_CAP_MS },
  reconcile: { intervalMs: env.RECONCILE_INTERVAL_MS, queuedGraceMs: env.RECONCILE_QUEUED_GRACE_MS },
  sweepLeaseMs: env.SWEEP_LEASE_MS,
  cancelGraceMs: env.CANCEL_GRACE_MS,
  artifacts: artifactsConfig(env),
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
