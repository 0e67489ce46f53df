import { z } from 'zod';
import { BaseEnv, SecretsEnv, baseConfig, intFromEnv, parseEnv, secretsConfig } from '@jobflow/core/platform';

/** The example secret from .env.example; refused in production. */
export const EXAMPLE_JWT_SECRET = 'change-me-to-a-long-random-string';

const ServerEnv = BaseEnv.extend(SecretsEnv.shape)
  .extend({
    PORT: intFromEnv(3000),
    HOST: z.string().default('0.0.0.0'),
    JWT_SECRET: z.string().min(16, 'must be at least 16 characters').default(EXAMPLE_JWT_SECRET),
    JWT_TTL_SEC: intFromEnv(12 * 3600, 60),
    BODY_LIMIT_BYTES: intFromEnv(1024 * 1024, 1024),
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
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV === 'production' && env.JWT_SECRET === EXAMPLE_JWT_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['JWT_SECRET'], message: 'is the example secret; set a long random value in production' });
    }
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
    loginMaxAttempts: env.LOGIN_MAX_ATTEMPTS,
    loginWindowSec: env.LOGIN_WINDOW_SEC,
    uiDist: env.UI_DIST,
    publicUrl: env.PUBLIC_URL,
    cancelGraceMs: env.CANCEL_GRACE_MS,
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
