import { z } from 'zod';
import { ArtifactAddedEvent } from './artifacts';
import { JobDto, JobSummaryDto, LogLineDto, RunDto, RunSummaryDto, WorkerDto } from './dto';

/**
 * The Socket.IO contract, event by event: each payload and ack is one zod
 * schema that gives both its type and its runtime check. The server parses
 * every inbound payload with these, the typed client every event it receives,
 * and the AsyncAPI document at `/api/asyncapi.json` is generated from them.
 */

/** What a socket can subscribe to. */
export const Topic = z.discriminatedUnion('topic', [
  z.object({ topic: z.literal('dashboard') }).describe('Every job and run: what the shared dashboard shows.'),
  z.object({ topic: z.literal('job'), jobId: z.string().min(1).max(100) }).describe('One job and its runs.'),
  z
    .object({
      topic: z.literal('run'),
      runId: z.string().min(1).max(100),
      afterSeq: z.number().int().min(0).optional().describe('Replay every stored line with seq > afterSeq before the live ones; omitted: live lines only.'),
    })
    .describe('One run: its snapshots and every line of its log.'),
]);
export type Topic = z.infer<typeof Topic>;

/** Why a `subscribe` or `unsubscribe` was refused: `not_found`, `validation_failed`, `forbidden`, or `unavailable`. */
export const AckRefused = z.object({
  ok: z.literal(false),
  error: z.object({ code: z.string(), message: z.string() }),
});
export type AckRefused = z.infer<typeof AckRefused>;

/**
 * Acknowledgement of `subscribe`: the current snapshot of what was subscribed
 * to, read after the socket joined the topic, so every later change arrives as
 * an event and nothing falls in between. `{ok: true, run}` for a run topic
 * (its `logCount` lines are all stored: with `afterSeq` they are replayed),
 * `{ok: true, job}` for a job topic, `{ok: true}` for the dashboard.
 */
export const SubscribeAck = z.union([
  z.object({ ok: z.literal(true), run: RunDto }).describe('Subscribed to a run topic: the run as stored when the subscription began.'),
  z.object({ ok: z.literal(true), job: JobDto }).describe('Subscribed to a job topic: the job as stored when the subscription began.'),
  z.object({ ok: z.literal(true) }).describe('Subscribed to the dashboard.'),
  AckRefused,
]);
export type SubscribeAck = z.infer<typeof SubscribeAck>;

/** Acknowledgement of `unsubscribe`. */
export const UnsubscribeAck = z.union([z.object({ ok: z.literal(true) }), AckRefused]);
export type UnsubscribeAck = z.infer<typeof UnsubscribeAck>;

/** Any acknowledgement the server sends (`subscribe`'s carries a snapshot). */
export type Ack = SubscribeAck;

/**
 * `run:updated` payload: the whole run to subscribers of its `run` topic, a
 * `RunSummary` (no `params`, no `result`) to those of the `dashboard` and
 * `job` topics. A socket subscribed to both gets the whole run once.
 */
export const RunUpdatedEvent = z.union([RunDto, RunSummaryDto]);
export type RunUpdatedEvent = z.infer<typeof RunUpdatedEvent>;

/** `run:log` payload: a batch of consecutive stored lines of one run, in `seq` order. */
export const RunLogEvent = z.object({ runId: z.string(), lines: z.array(LogLineDto) });
export type RunLogEvent = z.infer<typeof RunLogEvent>;

/** `job:deleted` payload. */
export const JobDeletedEvent = z.object({ id: z.string() });
export type JobDeletedEvent = z.infer<typeof JobDeletedEvent>;

/** `schedule:recorded` payload: what became of the due times just recorded for one job. */
export const ScheduleRecordedEvent = z.object({ jobId: z.string(), outcomes: z.array(z.string()) });
export type ScheduleRecordedEvent = z.infer<typeof ScheduleRecordedEvent>;

/** `resync` payload: always empty. */
export const ResyncEvent = z.object({});
export type ResyncEvent = Record<string, never>;

/** Who receives a server event: the subscribers of a topic, or every socket. */
export type Audience = Topic['topic'] | 'everyone';

interface ServerEventSpec<P extends z.ZodType> {
  payload: P;
  /** The topics whose subscribers receive it (`everyone`: every socket). */
  audience: readonly Audience[];
  /** What it says, for the AsyncAPI document. */
  summary: string;
}
const serverEvent = <P extends z.ZodType>(spec: ServerEventSpec<P>) => spec;

/** Every event the server pushes, with its payload and who receives it. */
export const serverEvents = {
  /** The run's snapshot after a change of its stored state (whole on the `run` topic, a summary elsewhere); keep the one with the highest `version`. */
  'run:updated': serverEvent({
    payload: RunUpdatedEvent,
    audience: ['dashboard', 'job', 'run'],
    summary:
      'The run snapshot after a change of its stored state: the whole Run to subscribers of its run topic, a RunSummary (without params and result) to subscribers of the dashboard and job topics; a socket on both gets the whole Run once. Keep the snapshot with the highest version; older ones that arrive late are ignored.',
  }),
  /** Stored log lines of a run, in `seq` order. */
  'run:log': serverEvent({
    payload: RunLogEvent,
    audience: ['run'],
    summary:
      'Stored log lines of a run, in seq order. Around the moment of subscribing a line may arrive twice or ahead of an earlier one: keep lines in seq order and drop a seq already held.',
  }),
  /** A run attached a file; it is stored and can be downloaded. */
  'artifact:added': serverEvent({
    payload: ArtifactAddedEvent,
    audience: ['run'],
    summary: 'A run attached a file (an artifact). It is already stored: download it from /api/runs/{runId}/artifacts/{name}.',
  }),
  /** A job was created or changed: its summary (no `params`; `GET /api/jobs/:id` gives them). */
  'job:updated': serverEvent({
    payload: JobSummaryDto,
    audience: ['dashboard', 'job'],
    summary: 'A job was created or changed: its JobSummary (the Job without params; GET /api/jobs/:id gives the whole job).',
  }),
  /** A job was deleted. */
  'job:deleted': serverEvent({ payload: JobDeletedEvent, audience: ['dashboard', 'job'], summary: 'A job was deleted.' }),
  /** The scheduler recorded due times of a job (started, skipped, missed or caught up): refetch its schedule history. */
  'schedule:recorded': serverEvent({
    payload: ScheduleRecordedEvent,
    audience: ['dashboard', 'job'],
    summary: 'The scheduler recorded due times of a job (started, skipped-overlap, missed or caught-up): refetch its schedule history.',
  }),
  /** A worker registered, changed state (active, draining, lost), took or finished runs, or stopped (then `state` is its last). */
  'worker:updated': serverEvent({
    payload: WorkerDto,
    audience: ['dashboard'],
    summary:
      'A worker process registered, started or stopped draining, took or finished runs, or was found lost (no heartbeat within three of its intervals): its snapshot. While nothing changes, a live worker is announced again about every 15 s with its latest heartbeat.',
  }),
  /** The server may have missed events: refetch what you show. */
  resync: serverEvent({
    payload: ResyncEvent,
    audience: ['everyone'],
    summary: 'The server may have missed events (for example its Redis link dropped): refetch what you show.',
  }),
} as const;

export type ServerEventName = keyof typeof serverEvents;

interface ClientEventSpec<P extends z.ZodType, A extends z.ZodType> {
  payload: P;
  ack: A;
  summary: string;
}
const clientEvent = <P extends z.ZodType, A extends z.ZodType>(spec: ClientEventSpec<P, A>) => spec;

/** Every event a client sends; each takes an acknowledgement callback. */
export const clientEvents = {
  /** Joins a topic; the ack carries its current snapshot. */
  subscribe: clientEvent({
    payload: Topic,
    ack: SubscribeAck,
    summary:
      'Joins a topic. The ack carries the current snapshot of what was subscribed to: {ok: true, run} for a run, {ok: true, job} for a job, {ok: true} for the dashboard. With afterSeq, every stored line with seq > afterSeq is sent as run:log after the ack, then every later line.',
  }),
  /** Leaves a topic. */
  unsubscribe: clientEvent({ payload: Topic, ack: UnsubscribeAck, summary: 'Leaves a topic (afterSeq is ignored).' }),
} as const;

export type ClientEventName = keyof typeof clientEvents;

/** Events the server pushes, typed from `serverEvents`. */
export type ServerToClientEvents = {
  [E in ServerEventName]: (payload: E extends 'resync' ? ResyncEvent : z.infer<(typeof serverEvents)[E]['payload']>) => void;
};

/** Events a client sends, each with an acknowledgement, typed from `clientEvents`. */
export type ClientToServerEvents = {
  [E in ClientEventName]: (payload: z.input<(typeof clientEvents)[E]['payload']>, ack: (ack: z.infer<(typeof clientEvents)[E]['ack']>) => void) => void;
};

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
