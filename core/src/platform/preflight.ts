import { Redis } from 'ioredis';
import pg from 'pg';
import { pgConnectionConfig, redactUrl as redact, withoutTlsParams, type PostgresTls } from './postgres-connection';
import { ioredisOptions, redisConnection, type RedisConnection } from './redis';

export const postgresHint = (databaseUrl: string) =>
  `PostgreSQL is unreachable at ${redact(databaseUrl)}: start it with \`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\` or set DATABASE_URL.`;
export const redisHint = (redisUrl: string) =>
  `Redis is unreachable at ${redact(redisUrl)}: start it with \`redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no\` or set REDIS_URL.`;

/** How long a check may take before its service counts as unreachable. */
const PING_TIMEOUT_MS = 3000;

/** Node's and OpenSSL's way of saying a TLS handshake or certificate failed. */
const isTlsError = (e: { code?: unknown; message?: unknown }) =>
  /CERT|SELF_SIGNED|UNABLE_TO|ERR_TLS|ERR_SSL|EPROTO/.test(String(e.code ?? '')) || /\b(SSL|TLS)\b|certificate/i.test(String(e.message ?? ''));

/** A failed check, as one line saying what is wrong and what to change. */
export class PreflightError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * Resolves when PostgreSQL accepts a connection to the database of
 * `databaseUrl` itself (with its TLS) within a few seconds, or when it
 * answers that this database does not exist yet (migrations create it).
 * Rejects with a `PreflightError` whose message says what went wrong.
 */
export async function pingPostgres(databaseUrl: string, tls?: PostgresTls): Promise<void> {
  const client = new pg.Client({ ...pgConnectionConfig(databaseUrl, tls), connectionTimeoutMillis: PING_TIMEOUT_MS });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('select 1');
  } catch (error) {
    const e = error as { code?: string; message?: string };
    if (e.code === '3D000') return;
    throw new PreflightError(describePostgresProblem(e, databaseUrl));
  } finally {
    await client.end().catch(() => {});
  }
}

function describePostgresProblem(e: { code?: string; message?: string }, databaseUrl: string): string {
  const at = redact(withoutTlsParams(databaseUrl));
  const message = String(e.message ?? e);
  if (e.code === '28P01') return `PostgreSQL refused the password for ${at}: set the right one in DATABASE_URL.`;
  if (e.code === '28000' && /no encryption/.test(message)) {
    return `PostgreSQL at ${at} refused a connection without TLS (${message}): add sslmode=verify-full (and sslrootcert=<CA file>) to DATABASE_URL.`;
  }
  if (e.code === '28000') return `PostgreSQL at ${at} refused the connection: ${message}.`;
  if (/does not support SSL/i.test(message)) return `PostgreSQL at ${at} does not offer TLS: drop sslmode from DATABASE_URL or turn on ssl in PostgreSQL.`;
  if (isTlsError(e)) return `PostgreSQL at ${at} failed the TLS check: ${message} (check sslmode and sslrootcert in DATABASE_URL).`;
  return postgresHint(databaseUrl);
}

/**
 * Resolves when Redis answers PING, after logging in, over TLS for
 * `rediss://`, within `timeoutMs` (never later). Rejects with a
 * `PreflightError` whose message says what went wrong: the password, TLS, or
 * Redis not reached at all.
 */
export async function pingRedis(redis: RedisConnection | string, timeoutMs = PING_TIMEOUT_MS): Promise<void> {
  const connection = typeof redis === 'string' ? redisConnection(redis) : redis;
  const client = new Redis({
    ...ioredisOptions(connection),
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  let firstError: (Error & { code?: string }) | undefined;
  client.on('error', (e: Error) => (firstError ??= e));
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([client.connect().then(() => client.ping()), timedOut]);
  } catch (error) {
    throw new PreflightError(describeRedisProblem(firstError ?? (error as Error), connection));
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}

function describeRedisProblem(e: Error & { code?: string }, redis: RedisConnection): string {
  const message = String(e.message ?? e);
  if (/WRONGPASS|invalid password|invalid username-password/i.test(message)) {
    return `Redis refused the password for ${redis.label}: set the right user and password in REDIS_URL.`;
  }
  if (/NOAUTH/.test(message))
    return `Redis at ${redis.label} requires a password: put it in REDIS_URL (redis://:password@host:port, or user:password@ for an ACL user).`;
  if (isTlsError(e)) return `Redis at ${redis.label} failed the TLS check: ${message} (check rediss:// and REDIS_TLS_CA_FILE).`;
  return redisHint(redis.label);
}

/**
 * Checks both services before a process starts for real; on failure prints one
 * line per problem (unreachable, refused password, TLS), with the fix, and exits 1.
 */
export async function preflight(opts: { databaseUrl: string; dbSsl?: PostgresTls; redisUrl: string; redisConnection?: RedisConnection }): Promise<void> {
  const problems: string[] = [];
  const explain = (e: unknown) => problems.push(e instanceof PreflightError ? e.message : String(e));
  await pingPostgres(opts.databaseUrl, opts.dbSsl).catch(explain);
  await pingRedis(opts.redisConnection ?? opts.redisUrl).catch(explain);
  if (problems.length === 0) return;
  for (const p of problems) console.error(p);
  process.exit(1);
}

/**
 * Runs a process's start-up; a failure that has a known cause and fix (no
 * database, no schema, a service gone) is one line on stderr and exit 1,
 * anything else the error itself.
 */
export async function startOrExplain<T>(opts: { databaseUrl: string; redisUrl: string }, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (error) {
    const e = error as { code?: string; message?: string };
    const message = String(e?.message ?? '');
    let line: string | null = null;
    if (e?.code === '3D000' || /database .* does not exist/.test(message)) {
      line = `The database in ${redact(opts.databaseUrl)} does not exist: run \`make migrate\` (or \`make start\`) to create it.`;
    } else if (e?.code === '42P01' || /relation .* does not exist/.test(message)) {
      line = `The database in ${redact(opts.databaseUrl)} has no Jobflow schema yet: run \`make migrate\`.`;
    } else if (/ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|ENOTFOUND/.test(message + (e?.code ?? ''))) {
      line = /6379|redis/i.test(message) ? redisHint(opts.redisUrl) : postgresHint(opts.databaseUrl);
    }
    if (!line) throw error;
    console.error(line);
    process.exit(1);
  }
}
