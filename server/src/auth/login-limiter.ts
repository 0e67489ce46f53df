import type { Redis } from 'ioredis';
import { redisKeys } from '@jobflow/core/platform';
import { RateLimitedError } from '../http/errors.middleware';

/**
 * Counts failed sign-ins per email and per client address in Redis (so every
 * server shares the count); past the limit, sign-in answers 429 until the window ends.
 */
export function createLoginLimiter(redis: Redis, prefix: string, maxAttempts: number, windowSec: number) {
  const keys = redisKeys(prefix);
  const keysFor = (email: string, ip: string) => [keys.loginAttempts(`e:${email.toLowerCase()}`), keys.loginAttempts(`ip:${ip}`)];
  const ipLimit = maxAttempts * 10;

  return {
    async check(email: string, ip: string): Promise<void> {
      const [emailKey, ipKey] = keysFor(email, ip) as [string, string];
      const replies = ((await redis.multi().get(emailKey).get(ipKey).ttl(emailKey).ttl(ipKey).exec()) ?? []).map(([, value]) => value);
      const [e, i, ttlE, ttlI] = replies as [string | null, string | null, number, number];
      if (Number(e ?? 0) >= maxAttempts) throw new RateLimitedError('Too many failed sign-ins for this account; try again later.', Math.max(1, Number(ttlE)));
      if (Number(i ?? 0) >= ipLimit) throw new RateLimitedError('Too many failed sign-ins from this address; try again later.', Math.max(1, Number(ttlI)));
    },
    async failed(email: string, ip: string): Promise<void> {
      const multi = redis.multi();
      for (const key of keysFor(email, ip)) multi.incr(key).expire(key, windowSec, 'NX');
      await multi.exec();
    },
    async succeeded(email: string): Promise<void> {
      await redis.del(keysFor(email, '')[0]!);
    },
  };
}
