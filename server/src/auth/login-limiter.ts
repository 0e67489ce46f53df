import net from 'node:net';
import type { Redis } from 'ioredis';
import { normalizeEmail } from '@jobflow/shared';
import { redisKeys } from '@jobflow/core/platform';
import { RateLimitedError } from '../http/errors.middleware';

/** The address a limit counts by: IPv4 as is, IPv6 by its /64 (one host usually holds a whole /64). */
export function addressBucket(ip: string): string {
  if (!net.isIPv6(ip)) return ip;
  const [head = '', tail = ''] = ip.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  return (
    groups
      .slice(0, 4)
      .map((g) => parseInt(g || '0', 16).toString(16))
      .join(':') + '::/64'
  );
}

// Counts an attempt on both keys and answers both counts in one round trip, atomically for every server.
const COUNT_ATTEMPT = `
local account = redis.call('INCR', KEYS[1])
if account == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
local address = redis.call('INCR', KEYS[2])
if address == 1 then redis.call('EXPIRE', KEYS[2], ARGV[1]) end
return {account, address, redis.call('TTL', KEYS[1]), redis.call('TTL', KEYS[2])}`;
const GIVE_BACK = `
redis.call('DEL', KEYS[1])
if (tonumber(redis.call('GET', KEYS[2]) or '0') or 0) > 0 then redis.call('DECR', KEYS[2]) end
return 1`;

/**
 * Sign-in limits, shared by every server through Redis. Each attempt is
 * counted before its password is checked (one atomic script), so however
 * many arrive at once, at most `maxAttempts` are ever verified:
 * - per account and address: `maxAttempts` consecutive failures, so someone
 *   guessing from one place is stopped, while the account's owner, signing in
 *   from elsewhere, is not locked out by a stranger;
 * - per address across accounts: ten times that, against one place trying
 *   many accounts.
 * The email is normalised as the users table stores it, so no spelling of an
 * address gets a fresh count. A success clears its account's count and gives
 * back its address's attempt.
 */
export function createLoginLimiter(redis: Redis, prefix: string, maxAttempts: number, windowSec: number) {
  const keys = redisKeys(prefix);
  const addressLimit = maxAttempts * 10;
  const keysFor = (email: string, ip: string) => {
    const bucket = addressBucket(ip);
    return { account: keys.loginAttempts(`a:${bucket}:${normalizeEmail(email)}`), address: keys.loginAttempts(`ip:${bucket}`) };
  };

  return {
    /** Counts one attempt; throws 429 (with Retry-After) when this attempt is over a limit and must not be verified. */
    async attempt(email: string, ip: string): Promise<void> {
      const k = keysFor(email, ip);
      const [account, address, ttlAccount, ttlAddress] = (await redis.eval(COUNT_ATTEMPT, 2, k.account, k.address, windowSec)) as number[];
      if (account! > maxAttempts)
        throw new RateLimitedError('Too many failed sign-ins for this account from this address; try again later.', Math.max(1, ttlAccount!));
      if (address! > addressLimit) throw new RateLimitedError('Too many failed sign-ins from this address; try again later.', Math.max(1, ttlAddress!));
    },
    /** The attempt succeeded: its account starts counting afresh, and it no longer counts against the address. */
    async succeeded(email: string, ip: string): Promise<void> {
      const k = keysFor(email, ip);
      await redis.eval(GIVE_BACK, 2, k.account, k.address);
    },
  };
}
