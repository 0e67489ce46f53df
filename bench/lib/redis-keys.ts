import { Redis } from 'ioredis';

/** Deletes every key matching `pattern`; resolves with how many still match afterwards. */
export async function removeKeys(redisUrl: string, pattern: string): Promise<number> {
  const redis = new Redis(redisUrl);
  try {
    const scanAll = async () => {
      const keys: string[] = [];
      let cursor = '0';
      do {
        const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        keys.push(...batch);
      } while (cursor !== '0');
      return keys;
    };
    const keys = await scanAll();
    for (let i = 0; i < keys.length; i += 500) await redis.unlink(...keys.slice(i, i + 500));
    return (await scanAll()).length;
  } finally {
    redis.disconnect();
  }
}
