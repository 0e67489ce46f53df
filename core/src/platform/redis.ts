import { Redis } from 'ioredis';

/** An ioredis client that reconnects forever and never floods the log with stack traces. */
export function createRedis(redisUrl: string, onError?: (e: Error) => void): Redis {
  const client = new Redis(redisUrl, {
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
  /** A worker's liveness key, refreshed while it lives. */
  worker: (workerId: string) => `${prefix}:worker:${workerId}`,
  /** Login attempt counter. */
  loginAttempts: (key: string) => `${prefix}:login:${key}`,
});
