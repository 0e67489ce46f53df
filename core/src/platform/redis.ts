import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { Redis } from 'ioredis';
import { redactUrl } from './postgres-connection';

/**
 * Where Redis is and how to log in, parsed once from `REDIS_URL`
 * (`redis://` or `rediss://` for TLS, `[user][:password]@`, `/db`) and
 * handed to every client a process opens: ioredis, the Socket.IO adapter's
 * copies of it, and Bee-Queue's own clients.
 */
export interface RedisConnection {
  host: string;
  port: number;
  db: number;
  /** An ACL user; none logs in as `default`. */
  username?: string;
  password?: string;
  /** Set for `rediss://`: the certificate and host name are checked, against `caFile` when given. */
  tls?: ConnectionOptions;
  /** The URL with its password masked, for messages. */
  label: string;
}

/** Parses `redisUrl`; `caFile` is a PEM file of the CAs a `rediss://` server's certificate must chain to (else Node's public CAs). */
export function redisConnection(redisUrl: string, o: { caFile?: string } = {}): RedisConnection {
  const url = new URL(redisUrl);
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new Error(`must start with redis:// or rediss://, not ${url.protocol}//`);
  const db = url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new Error(`names database ${url.pathname.slice(1)}, not a number`);
  let tls: ConnectionOptions | undefined;
  if (url.protocol === 'rediss:') {
    tls = {};
    if (o.caFile) {
      try {
        tls.ca = readFileSync(o.caFile, 'utf8');
      } catch (e) {
        throw new Error(`REDIS_TLS_CA_FILE ${o.caFile} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
    }
  }
  return {
    host: url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port: Number(url.port || 6379),
    db,
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(tls ? { tls } : {}),
    label: redactUrl(redisUrl),
  };
}

const toConnection = (redis: RedisConnection | string) => (typeof redis === 'string' ? redisConnection(redis) : redis);

/** The options of an ioredis client on `redis`. */
export function ioredisOptions(redis: RedisConnection | string) {
  const { host, port, db, username, password, tls } = toConnection(redis);
  return { host, port, db, username, password, tls };
}

/** An ioredis client that reconnects forever and never floods the log with stack traces. */
export function createRedis(redis: RedisConnection | string, onError?: (e: Error) => void): Redis {
  const client = new Redis({
    ...ioredisOptions(redis),
    maxRetriesPerRequest: null,
    retryStrategy: (times) => Math.min(times * 200, 2000),
    lazyConnect: false,
  });
  let reported = false;
  client.on('error', (e: Error) => {
    if (reported) return;
    reported = true;
    onError?.(e);
  });
  client.on('ready', () => {
    reported = false;
  });
  return client;
}

/** Names of the keys and channels Jobflow itself uses, under one prefix. */
export const redisKeys = (prefix: string) => ({
  /** Socket.IO adapter and emitter key. */
  io: `${prefix}:io`,
  /** Bee-Queue key prefix. */
  queue: `${prefix}:bq`,
  /** Channel telling workers to abort a running attempt. */
  cancelChannel: `${prefix}:cancel`,
  /** Channel telling a worker to drain or to take runs again. */
  workerControlChannel: `${prefix}:worker-control`,
  /** A worker's liveness key, refreshed while it lives. */
  worker: (workerId: string) => `${prefix}:worker:${workerId}`,
  /** Login attempt counter. */
  loginAttempts: (key: string) => `${prefix}:login:${key}`,
});
