import { z } from 'zod';
import type { JobDto, LogLineDto, RunDto } from './dto';

/** What a socket can subscribe to. */
export const Topic = z.discriminatedUnion('topic', [
  z.object({ topic: z.literal('dashboard') }),
  z.object({ topic: z.literal('job'), jobId: z.string().min(1).max(100) }),
  z.object({
    topic: z.literal('run'),
    runId: z.string().min(1).max(100),
    /** Replay every stored line with `seq > afterSeq` before the live ones. */
    afterSeq: z.number().int().min(0).optional(),
  }),
]);
export type Topic = z.infer<typeof Topic>;

/** Acknowledgement of `subscribe` / `unsubscribe`. */
export type Ack = { ok: true } | { ok: false; error: { code: string; message: string } };

/** `run:log` payload: a batch of consecutive stored lines of one run. */
export interface RunLogEvent {
  runId: string;
  lines: LogLineDto[];
}

/** `schedule:recorded` payload: what became of the due times just recorded for one job. */
export interface ScheduleRecordedEvent {
  jobId: string;
  outcomes: string[];
}

/** Events the server pushes. */
export interface ServerToClientEvents {
  /** The full run snapshot after a change of its stored state. */
  'run:updated': (run: RunDto) => void;
  /** Stored log lines of a run, in `seq` order. */
  'run:log': (event: RunLogEvent) => void;
  /** A job was created or changed. */
  'job:updated': (job: JobDto) => void;
  /** A job was deleted. */
  'job:deleted': (event: { id: string }) => void;
  /** The scheduler recorded due times of a job (started, skipped, missed or caught up): refetch its schedule history. */
  'schedule:recorded': (event: ScheduleRecordedEvent) => void;
  /** The server may have missed events: refetch what you show. */
  resync: (event: Record<string, never>) => void;
}

/** Events a client sends, each with an acknowledgement. */
export interface ClientToServerEvents {
  subscribe: (topic: Topic, ack: (ack: Ack) => void) => void;
  unsubscribe: (topic: Topic, ack: (ack: Ack) => void) => void;
}

/** Socket.IO room names: one per topic. */
export const rooms = {
  dashboard: 'dashboard',
  job: (jobId: string) => `job:${jobId}`,
  run: (runId: string) => `run:${runId}`,
  user: (userId: string) => `user:${userId}`,
  /** The sockets a user opened with a session (not with an API token). */
  sessions: (userId: string) => `sessions:${userId}`,
  token: (tokenId: string) => `token:${tokenId}`,
} as const;
