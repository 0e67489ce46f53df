import { z } from 'zod';

/** Settings every runnable shares: where PostgreSQL and Redis are. */
export const BaseEnv = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  DATABASE_URL: z.string().default('postgres://postgres@127.0.0.1:5432/jobflow'),
  REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
  /** Prefix of every Redis key and channel, so several installs can share one Redis. */
  REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9_.-]+$/).default('jf'),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
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

export const intFromEnv = (def: number, min = 0) => z.coerce.number().int().min(min).default(def);
