import type { Redis } from 'ioredis';
import { redisKeys } from '../platform';

/** Tells one worker to drain (finish what it holds, take nothing new) or to take runs again. */
export interface WorkerControl {
  workerId: string;
  isDraining: boolean;
}

/**
 * Sends a control message on the install's Redis channel, so the worker acts
 * at once. The request is stored first (`workers.is_draining`), and a worker
 * reads it with every heartbeat: a message Redis loses only delays it.
 */
export async function sendWorkerControl(redis: Redis, prefix: string, control: WorkerControl): Promise<void> {
  await redis.publish(redisKeys(prefix).workerControlChannel, JSON.stringify(control));
}

/** Calls `onControl` for each control message meant for `workerId` (`subscriber` is a client in subscriber mode). */
export async function listenForWorkerControl(subscriber: Redis, prefix: string, workerId: string, onControl: (control: WorkerControl) => void): Promise<void> {
  const channel = redisKeys(prefix).workerControlChannel;
  subscriber.on('message', (from: string, message: string) => {
    if (from !== channel) return;
    const control = parseControl(message);
    if (control && control.workerId === workerId) onControl(control);
  });
  await subscriber.subscribe(channel);
}

function parseControl(message: string): WorkerControl | null {
  try {
    const value: unknown = JSON.parse(message);
    if (typeof value !== 'object' || value === null) return null;
    const { workerId, isDraining } = value as Record<string, unknown>;
    return typeof workerId === 'string' && typeof isDraining === 'boolean' ? { workerId, isDraining } : null;
  } catch {
    return null;
  }
}
