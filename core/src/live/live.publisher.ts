import { Emitter } from '@socket.io/redis-emitter';
import type { Redis } from 'ioredis';
import { type JobDto, type LogLineDto, type RunDto, rooms, type ServerToClientEvents } from '@jobflow/shared';
import { redisKeys } from '../platform';

/**
 * Publishes live events to every server's Socket.IO rooms through Redis.
 * Call it only after the change it describes is committed.
 */
export interface LivePublisher {
  runUpdated(run: RunDto): void;
  runLog(runId: string, lines: LogLineDto[]): void;
  jobUpdated(job: JobDto): void;
  jobDeleted(jobId: string): void;
  scheduleRecorded(jobId: string, outcomes: string[]): void;
}

/**
 * Collects the publishes of one event-loop turn and sends them to Redis as
 * one pipeline: a run's last lines, final snapshot and system line, or many
 * runs changing at once, cost one socket write instead of one each. Order is
 * kept.
 */
function coalescedPublisher(redis: Redis) {
  let pending: [channel: string, message: string | Buffer][] = [];
  const flush = () => {
    const batch = pending;
    pending = [];
    if (batch.length === 1) {
      redis.publish(batch[0]![0], batch[0]![1]).catch(() => {});
      return;
    }
    const pipeline = redis.pipeline();
    for (const [channel, message] of batch) pipeline.publish(channel, message);
    pipeline.exec().catch(() => {});
  };
  return {
    publish(channel: string, message: string | Buffer) {
      if (pending.push([channel, message]) === 1) setImmediate(flush);
    },
  };
}

export function createLivePublisher(redis: Redis, prefix: string): LivePublisher {
  const emitter = new Emitter<ServerToClientEvents>(coalescedPublisher(redis) as unknown as Redis, { key: redisKeys(prefix).io });
  return {
    runUpdated: (run) => emitter.to([rooms.dashboard, rooms.job(run.jobId), rooms.run(run.id)]).emit('run:updated', run),
    runLog: (runId, lines) => {
      if (lines.length) emitter.to(rooms.run(runId)).emit('run:log', { runId, lines });
    },
    jobUpdated: (job) => emitter.to([rooms.dashboard, rooms.job(job.id)]).emit('job:updated', job),
    jobDeleted: (jobId) => emitter.to([rooms.dashboard, rooms.job(jobId)]).emit('job:deleted', { id: jobId }),
    scheduleRecorded: (jobId, outcomes) => emitter.to([rooms.dashboard, rooms.job(jobId)]).emit('schedule:recorded', { jobId, outcomes }),
  };
}
