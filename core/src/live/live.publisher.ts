import { Emitter } from '@socket.io/redis-emitter';
import type { Redis } from 'ioredis';
import {
  type ArtifactDto,
  type JobDto,
  type LogLineDto,
  type RunDto,
  rooms,
  runSummaryOf,
  jobSummaryOf,
  type ServerToClientEvents,
  type WorkerDto,
} from '@jobflow/shared';
import { logTraceChannel, redisKeys, traceLog } from '../platform';

/**
 * Publishes live events to every server's Socket.IO rooms through Redis.
 * Call it only after the change it describes is committed.
 */
export interface LivePublisher {
  runUpdated(run: RunDto): void;
  runLog(runId: string, lines: LogLineDto[]): void;
  /** A run attached a file (stored): `artifact:added` to the run's topic. */
  artifactAdded(runId: string, artifact: ArtifactDto): void;
  jobUpdated(job: JobDto): void;
  jobDeleted(jobId: string): void;
  scheduleRecorded(jobId: string, outcomes: string[]): void;
  workerUpdated(worker: WorkerDto): void;
}

/**
 * Collects the publishes of one event-loop turn and sends them to Redis as
 * one pipeline: a run's last lines, final snapshot and system line, or many
 * runs changing at once, cost one socket write instead of one each. Order is
 * kept.
 */
function coalescedPublisher(redis: Redis) {
  let pending: [channel: string, message: string | Buffer][] = [];
  /** The `run:log` lines of this turn, for `traceLog` once they are sent. */
  let traced: { runId: string; lines: LogLineDto[] }[] = [];
  const flush = () => {
    const batch = pending;
    pending = [];
    if (batch.length === 1) redis.publish(batch[0]![0], batch[0]![1]).catch(() => {});
    else {
      const pipeline = redis.pipeline();
      for (const [channel, message] of batch) pipeline.publish(channel, message);
      pipeline.exec().catch(() => {});
    }
    if (traced.length) {
      for (const t of traced) traceLog('published', t.runId, t.lines);
      traced = [];
    }
  };
  return {
    publish(channel: string, message: string | Buffer) {
      if (pending.push([channel, message]) === 1) setImmediate(flush);
    },
    traced(runId: string, lines: LogLineDto[]) {
      if (logTraceChannel.hasSubscribers) traced.push({ runId, lines });
    },
  };
}

/** The broadcast flag carrying when an event was published: servers measure delivery lag from it. */
export const STORED_AT_FLAG = 'storedAtMs';

export function createLivePublisher(redis: Redis, prefix: string): LivePublisher {
  const publisher = coalescedPublisher(redis);
  const emitter = new Emitter<ServerToClientEvents>(publisher as unknown as Redis, { key: redisKeys(prefix).io });
  /**
   * A broadcast to `room`, stamped with the time it is published (right after
   * its change was stored). Socket.IO passes broadcast flags it does not know
   * through untouched, so the stamp reaches every server and no client. Each
   * `emitter.to` makes a flags object of its own.
   */
  const to = (room: string | string[]) => {
    const broadcast = emitter.to(room);
    (broadcast as unknown as { flags: Record<string, unknown> }).flags[STORED_AT_FLAG] = Date.now();
    return broadcast;
  };
  return {
    // The run's own topic gets the whole run; the many listeners of the dashboard and the job get a summary
    // (a socket on both topics gets the whole run only).
    runUpdated: (run) => {
      to(rooms.run(run.id)).emit('run:updated', run);
      to([rooms.dashboard, rooms.job(run.jobId)])
        .except(rooms.run(run.id))
        .emit('run:updated', runSummaryOf(run));
    },
    runLog: (runId, lines) => {
      if (!lines.length) return;
      to(rooms.run(runId)).emit('run:log', { runId, lines });
      publisher.traced(runId, lines);
    },
    artifactAdded: (runId, artifact) => to(rooms.run(runId)).emit('artifact:added', { runId, artifact }),
    jobUpdated: (job) => to([rooms.dashboard, rooms.job(job.id)]).emit('job:updated', jobSummaryOf(job)),
    jobDeleted: (jobId) => to([rooms.dashboard, rooms.job(jobId)]).emit('job:deleted', { id: jobId }),
    scheduleRecorded: (jobId, outcomes) => to([rooms.dashboard, rooms.job(jobId)]).emit('schedule:recorded', { jobId, outcomes }),
    workerUpdated: (worker) => to(rooms.dashboard).emit('worker:updated', worker),
  };
}
