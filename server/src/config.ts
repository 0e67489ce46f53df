import { z } from 'zod';
import { BaseEnv, RequiredJwtSecretEnv, SecretsEnv, baseConfig, intFromEnv, parseEnv, secretsConfig } from '@jobflow/core/platform';

const ServerEnv = BaseEnv.extend(SecretsEnv.shape).extend({
  PORT: intFromEnv(3000),
  /** Loopback unless the operator says otherwise: exposing the server is a decision, not a default. */
  HOST: z.string().min(1).default('127.0.0.1'),
  JWT_SECRET: RequiredJwtSecretEnv,
  JWT_TTL_SEC: intFromEnv(12 * 3600, 60),
  BODY_LIMIT_BYTES: intFromEnv(1024 * 1024, 1024),
  /** Deepest nesting of arrays and objects a JSON body may have. */
  BODY_MAX_DEPTH: intFromEnv(32, 4),
  /** Most object keys and array items, counted together, a JSON body may have. */
  BODY_MAX_KEYS: intFromEnv(20_000, 100),
  /** Reverse proxies in front of the server whose X-Forwarded-For / X-Forwarded-Proto to believe (0: none, use the socket's address). */
  TRUST_PROXY: intFromEnv(0, 0),
  /** Audit entries older than this many days are deleted (0 keeps them all). */
  AUDIT_RETENTION_DAYS: intFromEnv(365, 0),
  LOGIN_MAX_ATTEMPTS: intFromEnv(10, 1),
  LOGIN_WINDOW_SEC: intFromEnv(900, 1),
  UI_DIST: z.string().optional(),
  CANCEL_GRACE_MS: intFromEnv(4000),
  SOCKET_MAX_BUFFERED_PACKETS: intFromEnv(10_000, 10),
  SOCKET_MAX_SUBSCRIPTIONS: intFromEnv(200, 3),
  SOCKET_MAX_BACKFILLS: intFromEnv(4, 1),
  USER_MAX_SOCKETS: intFromEnv(50, 1),
  /** After SIGTERM, how long /readyz answers 503 while requests are still served (default 5000 in production, else 0). */
  SHUTDOWN_DELAY_MS: z.coerce.number().int().min(0).optional(),
  /** Then, how long requests in flight may finish before their connections are cut. */
  SHUTDOWN_GRACE_MS: intFromEnv(10_000),
});

export type ServerConfig = ReturnType<typeof toConfig>;

function toConfig(env: z.infer<typeof ServerEnv>) {
  return {
    ...baseConfig(env),
    /** Keys that seal secrets in params and notification targets. */
    secrets: secretsConfig(env),
    port: env.PORT,
    host: env.HOST,
    jwtSecret: env.JWT_SECRET,
    jwtTtlSec: env.JWT_TTL_SEC,
    bodyLimitBytes: env.BODY_LIMIT_BYTES,
    bodyMaxDepth: env.BODY_MAX_DEPTH,
    bodyMaxKeys: env.BODY_MAX_KEYS,
    trustProxyHops: env.TRUST_PROXY,
    auditRetentionDays: env.AUDIT_RETENTION_DAYS,
    loginMaxAttempts: env.LOGIN_MAX_ATTEMPTS,
    loginWindowSec: env.LOGIN_WINDOW_SEC,
    uiDist: env.UI_DIST,
    publicUrl: env.PUBLIC_URL,
    socketMaxBufferedPackets: env.SOCKET_MAX_BUFFERED_PACKETS,
    /** Live work one user or socket may cause on this process; past these, `rate_limited`. */
    liveLimits: {
      maxSubscriptionsPerSocket: env.SOCKET_MAX_SUBSCRIPTIONS,
      maxBackfillsPerSocket: env.SOCKET_MAX_BACKFILLS,
      maxSocketsPerUser: env.USER_MAX_SOCKETS,
    },
    shutdownDelayMs: env.SHUTDOWN_DELAY_MS ?? (env.NODE_ENV === 'production' ? 5000 : 0),
    shutdownGraceMs: env.SHUTDOWN_GRACE_MS,
  };
}

/** Reads the server's configuration from the environment (the only place that does). */
export const loadServerConfig = (env: NodeJS.ProcessEnv, overrides: Partial<ServerConfig> = {}): ServerConfig => ({
  ...toConfig(parseEnv(ServerEnv, env)),
  ...overrides,
});
