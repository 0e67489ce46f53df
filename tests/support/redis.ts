import { createRedis } from '@jobflow/core/platform';

/** Deletes every Redis key under `prefix` (what a test's servers, workers and queues left behind); returns how many. */
export async function removeRedisKeys(redisUrl: string, prefix: string): Promise<number> {
  const redis = createRedis(redisUrl);
  let removed = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length) removed += await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return removed;
}

/** The keys under `prefix` now. */
export async function redisKeysUnder(redisUrl: string, prefix: string): Promise<string[]> {
  const redis = createRedis(redisUrl);
  try {
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      found.push(...keys);
      cursor = next;
    } while (cursor !== '0');
    return found;
  } finally {
    redis.disconnect();
  }
}
