import type { Redis } from 'ioredis';
import { redisKeys } from '../platform';

/** Tells the worker that holds an attempt to abort it. */
export interface CancelRequest {
  runId: string;
  attempt: number;
  /** The run's error message and system line when the worker ends it, e.g. "Cancelled by ada@example.com". */
  message: string;
}

/** Sends cancel requests to every worker on the install's Redis channel (the one holding the attempt acts). */
export function createCancelSender(redis: Redis, prefix: string): (request: CancelRequest) => Promise<void> {
  const channel = redisKeys(prefix).cancelChannel;
  return async (request) => {
    await redis.publish(channel, JSON.stringify(request));
  };
}

/** Calls `onRequest` for every cancel request `subscriber` hears (it must be a client of its own: it enters subscriber mode). */
export async function listenForCancels(
  subscriber: Redis,
  prefix: string,
  onRequest: (request: CancelRequest) => void,
  onMalformed: (message: string) => void,
): Promise<void> {
  const channel = redisKeys(prefix).cancelChannel;
  subscriber.on('message', (from: string, message: string) => {
    if (from !== channel) return;
    const request = parseCancelRequest(message);
    if (request) onRequest(request);
    else onMalformed(message);
  });
  await subscriber.subscribe(channel);
}

function parseCancelRequest(message: string): CancelRequest | null {
  try {
    const value: unknown = JSON.parse(message);
    if (typeof value !== 'object' || value === null) return null;
    const { runId, attempt, message: why } = value as Record<string, unknown>;
    if (typeof runId !== 'string' || typeof attempt !== 'number') return null;
    return { runId, attempt, message: typeof why === 'string' && why ? why : 'Cancelled' };
  } catch {
    return null;
  }
}
