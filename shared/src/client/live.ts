import { io, type Socket } from 'socket.io-client';
import type { JobDto, JobSummaryDto, LogLineDto, RunDto, RunSummaryDto, WorkerDto } from '../dto';
import { ERROR_STATUS, type ErrorCode } from '../errors';
import type { ArtifactAddedEvent } from '../artifacts';
import { SubscribeAck, serverEvents, type ClientToServerEvents, type RunLogEvent, type ServerToClientEvents, type Topic } from '../events';
import { ApiClientError } from './client-error';
import type { Transport } from './rest';

/**
 * Where the live connection stands:
 * - `idle`: nothing subscribed yet, no socket open;
 * - `connecting`: first connection attempt;
 * - `live`: connected, every topic subscribed;
 * - `reconnecting`: the link dropped and is being re-established;
 * - `offline`: the browser says there is no network;
 * - `unauthorized`: the server refused the token (expired, revoked, user disabled).
 */
export type ConnectionState = 'idle' | 'connecting' | 'live' | 'reconnecting' | 'offline' | 'unauthorized';

/** Why a subscriber should refetch what it shows. */
export type RefetchReason = 'resync' | 'reconnect';

/**
 * What the server's acknowledgement of a subscription says the topic holds
 * right now: the run (with `logCount`) for a run topic, the job for a job
 * topic, nothing for the dashboard (or from a server that sends no snapshot).
 */
export interface TopicSnapshot {
  run?: RunDto;
  job?: JobDto;
}

/** Callbacks of one subscription; each gets only the events of its topic. */
export interface TopicHandlers {
  /**
   * The server acknowledged the subscription, the first time and after every
   * reconnect, with the topic's snapshot read after the subscription began:
   * every later change arrives as an event.
   */
  onSubscribed?(snapshot: TopicSnapshot): void;
  /** The whole run on a run topic; a summary (no `params`, `result`) on the dashboard and job topics. */
  onRunUpdated?(run: RunDto | RunSummaryDto): void;
  onRunLog?(event: RunLogEvent): void;
  onJobUpdated?(job: JobSummaryDto): void;
  onJobDeleted?(event: { id: string }): void;
  /** The scheduler recorded due times of a job (dashboard and that job's topic). */
  onScheduleRecorded?(event: { jobId: string; outcomes: string[] }): void;
  /** A run topic: the run attached a file (stored, ready to download). */
  onArtifactAdded?(event: ArtifactAddedEvent): void;
  /** A worker process's snapshot (dashboard only). */
  onWorkerUpdated?(worker: WorkerDto): void;
  /**
   * The server may have missed events (`resync`), or the connection was
   * re-established and the topic subscribed again (`reconnect`): refetch.
   */
  onRefetch?(reason: RefetchReason): void;
  /** The server refused the subscription (`not_found`, `forbidden`, `validation_failed`) or did not answer. */
  onError?(error: ApiClientError): void;
  /** The client was closed: no event of this subscription will come any more. */
  onClosed?(): void;
}

/**
 * A live subscription; `ready` settles with the first acknowledgement, is
 * rejected with `unauthorized` when the server refuses the token before that
 * (the subscription stays registered and resumes with a new token), and
 * resolves when the subscription or the client is closed first.
 */
export interface Subscription {
  readonly topic: Topic;
  readonly ready: Promise<void>;
  close(): void;
}

export interface SubscribeOptions {
  /**
   * For a run topic: the `afterSeq` to resubscribe with after a reconnect.
   * Defaults to the highest `seq` this subscription has seen.
   */
  resumeSeq?: () => number;
}

const ACK_TIMEOUT_MS = 10_000;
const refusedToken = () => new ApiClientError('unauthorized', 'The server refused the token.', 401);

interface Entry {
  topic: Topic;
  handlers: TopicHandlers;
  resumeSeq: () => number;
  /** Acknowledged at least once, so a later connect is a reconnect for it. */
  hasSubscribed: boolean;
  isClosed: boolean;
  settle: (error?: ApiClientError) => void;
}

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** One Socket.IO connection shared by every subscription of a client. */
export class LiveConnection {
  private socket: ClientSocket | null = null;
  private readonly entries = new Set<Entry>();
  private stateValue: ConnectionState = 'idle';
  private readonly stateListeners = new Set<(state: ConnectionState) => void>();
  private readonly eventListeners = new Set<(event: LiveEvent) => void>();
  private hasConnectedBefore = false;
  private readonly onOnline = () => this.handleOnline();
  private readonly onOffline = () => this.setState('offline');

  constructor(private readonly transport: Transport) {
    transport.onTokenChange(() => {
      if (!this.socket) return;
      this.socket.disconnect();
      if (transport.isAuthenticated) {
        this.setState('connecting');
        this.socket.connect();
      } else {
        this.setState('idle');
      }
    });
  }

  get state(): ConnectionState {
    return this.stateValue;
  }

  onStateChange(listener: (state: ConnectionState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /** Every event the socket receives, after validation; used by `watch` and for diagnostics. */
  onEvent(listener: (event: LiveEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  subscribe(topic: Topic, handlers: TopicHandlers, options: SubscribeOptions = {}): Subscription {
    let seenSeq = topic.topic === 'run' ? (topic.afterSeq ?? 0) : 0;
    let settleReady!: (error?: ApiClientError) => void;
    const ready = new Promise<void>((resolve, reject) => {
      settleReady = (error) => (error ? reject(error) : resolve());
    });
    // A refused subscription is also reported through onError; avoid an unhandled rejection.
    ready.catch(() => undefined);
    let isSettled = false;
    const entry: Entry = {
      topic,
      handlers: {
        ...handlers,
        onRunLog: (event) => {
          const last = event.lines[event.lines.length - 1];
          if (last && last.seq > seenSeq) seenSeq = last.seq;
          handlers.onRunLog?.(event);
        },
      },
      resumeSeq: options.resumeSeq ?? (() => seenSeq),
      hasSubscribed: false,
      isClosed: false,
      settle: (error) => {
        if (isSettled) return;
        isSettled = true;
        settleReady(error);
      },
    };
    this.entries.add(entry);
    if (this.stateValue === 'unauthorized') entry.settle(refusedToken());
    const socket = this.ensureSocket();
    if (socket.connected) this.sendSubscribe(entry, false);
    else if (!socket.active && this.transport.isAuthenticated && this.stateValue !== 'unauthorized') {
      this.setState('connecting');
      socket.connect();
    }
    return {
      topic,
      ready,
      close: () => {
        if (entry.isClosed) return;
        entry.isClosed = true;
        this.entries.delete(entry);
        entry.settle();
        const key = topicKey(topic);
        const stillWanted = [...this.entries].some((other) => topicKey(other.topic) === key);
        if (!stillWanted && this.socket?.connected) {
          this.socket.timeout(ACK_TIMEOUT_MS).emit('unsubscribe', stripResume(topic), () => undefined);
        }
      },
    };
  }

  /** Opens the socket now rather than with the first subscription (a UI wants its indicator to mean something). */
  open(): void {
    const socket = this.ensureSocket();
    if (!socket.active && this.transport.isAuthenticated && this.stateValue !== 'unauthorized') {
      this.setState('connecting');
      socket.connect();
    }
  }

  /** Closes the socket; subscriptions stay registered and resume on the next `subscribe` or token. */
  disconnect(): void {
    this.socket?.disconnect();
    this.setState('idle');
  }

  /** Closes the socket and forgets every subscription; each is told through `onClosed` (iterators over them end). */
  close(): void {
    const entries = [...this.entries];
    this.entries.clear();
    for (const entry of entries) {
      entry.isClosed = true;
      entry.settle();
    }
    this.socket?.removeAllListeners();
    this.socket?.disconnect();
    this.socket = null;
    if (typeof window !== 'undefined') {
      window.removeEventListener('online', this.onOnline);
      window.removeEventListener('offline', this.onOffline);
    }
    this.setState('idle');
    for (const entry of entries) entry.handlers.onClosed?.();
  }

  private ensureSocket(): ClientSocket {
    if (this.socket) return this.socket;
    const socket: ClientSocket = io(this.transport.baseUrl || undefined, {
      path: '/socket.io',
      // WebSocket only: no long-polling transport, ever.
      transports: ['websocket'],
      autoConnect: false,
      reconnectionDelay: 500,
      reconnectionDelayMax: 5_000,
      // With a cookie session the handshake carries the browser's HttpOnly cookie instead of a token.
      auth: (cb) => cb(this.transport.token ? { token: this.transport.token } : {}),
    });
    this.socket = socket;

    socket.on('connect', () => {
      const isReconnect = this.hasConnectedBefore;
      this.hasConnectedBefore = true;
      this.setState('live');
      for (const entry of this.entries) this.sendSubscribe(entry, isReconnect);
    });
    socket.on('disconnect', (reason) => {
      if (reason === 'io client disconnect') return;
      if (reason === 'io server disconnect') {
        // The server dropped us (a slow consumer, a restart, or a revoked token):
        // try again; a refused token shows up as connect_error "unauthorized".
        socket.connect();
      }
      this.setState(isOffline() ? 'offline' : 'reconnecting');
    });
    socket.on('connect_error', (error) => {
      if (error.message === 'unauthorized') {
        this.setState('unauthorized');
        for (const entry of this.entries) if (!entry.hasSubscribed) entry.settle(refusedToken());
        this.transport.reportAuthError(refusedToken());
        return;
      }
      // A refusal other than the token's stops the manager's retries; retry later ourselves.
      if (!socket.active) setTimeout(() => this.socket === socket && !socket.active && this.entries.size > 0 && socket.connect(), 2_000);
      this.setState(isOffline() ? 'offline' : this.hasConnectedBefore ? 'reconnecting' : 'connecting');
    });

    socket.on('run:updated', (payload) => {
      const run = serverEvents['run:updated'].payload.safeParse(payload);
      if (!run.success) return;
      this.emitEvent({ type: 'run:updated', run: run.data });
      for (const entry of this.entries) {
        const t = entry.topic;
        if (t.topic === 'dashboard' || (t.topic === 'job' && t.jobId === run.data.jobId) || (t.topic === 'run' && t.runId === run.data.id)) {
          entry.handlers.onRunUpdated?.(run.data);
        }
      }
    });
    socket.on('run:log', (payload) => {
      const event = serverEvents['run:log'].payload.safeParse(payload);
      if (!event.success) return;
      this.emitEvent({ type: 'run:log', ...event.data });
      for (const entry of this.entries) {
        if (entry.topic.topic === 'run' && entry.topic.runId === event.data.runId) entry.handlers.onRunLog?.(event.data);
      }
    });
    socket.on('job:updated', (payload) => {
      const job = serverEvents['job:updated'].payload.safeParse(payload);
      if (!job.success) return;
      this.emitEvent({ type: 'job:updated', job: job.data });
      for (const entry of this.entries) {
        const t = entry.topic;
        if (t.topic === 'dashboard' || (t.topic === 'job' && t.jobId === job.data.id)) entry.handlers.onJobUpdated?.(job.data);
      }
    });
    socket.on('job:deleted', (payload) => {
      const event = serverEvents['job:deleted'].payload.safeParse(payload);
      if (!event.success) return;
      this.emitEvent({ type: 'job:deleted', id: event.data.id });
      for (const entry of this.entries) {
        const t = entry.topic;
        if (t.topic === 'dashboard' || (t.topic === 'job' && t.jobId === event.data.id)) entry.handlers.onJobDeleted?.(event.data);
      }
    });
    socket.on('schedule:recorded', (payload) => {
      const event = serverEvents['schedule:recorded'].payload.safeParse(payload);
      if (!event.success) return;
      this.emitEvent({ type: 'schedule:recorded', ...event.data });
      for (const entry of this.entries) {
        const t = entry.topic;
        if (t.topic === 'dashboard' || (t.topic === 'job' && t.jobId === event.data.jobId)) entry.handlers.onScheduleRecorded?.(event.data);
      }
    });
    socket.on('artifact:added', (payload) => {
      const event = serverEvents['artifact:added'].payload.safeParse(payload);
      if (!event.success) return;
      for (const entry of this.entries) {
        const t = entry.topic;
        if (t.topic === 'run' && t.runId === event.data.runId) entry.handlers.onArtifactAdded?.(event.data);
      }
    });
    socket.on('worker:updated', (payload) => {
      const worker = serverEvents['worker:updated'].payload.safeParse(payload);
      if (!worker.success) return;
      this.emitEvent({ type: 'worker:updated', worker: worker.data });
      for (const entry of this.entries) if (entry.topic.topic === 'dashboard') entry.handlers.onWorkerUpdated?.(worker.data);
    });
    socket.on('resync', () => {
      this.emitEvent({ type: 'resync' });
      for (const entry of [...this.entries]) entry.handlers.onRefetch?.('resync');
    });

    if (typeof window !== 'undefined') {
      window.addEventListener('online', this.onOnline);
      window.addEventListener('offline', this.onOffline);
    }
    return socket;
  }

  private sendSubscribe(entry: Entry, isReconnect: boolean): void {
    const socket = this.socket;
    if (!socket) return;
    const topic: Topic =
      entry.topic.topic === 'run' && (entry.hasSubscribed || entry.topic.afterSeq !== undefined)
        ? { ...entry.topic, afterSeq: entry.resumeSeq() }
        : entry.topic;
    socket.timeout(ACK_TIMEOUT_MS).emit('subscribe', topic, (err: Error | null, payload: unknown) => {
      if (entry.isClosed) return;
      const ack = err ? null : SubscribeAck.safeParse(payload);
      if (!ack?.success) {
        const error = err
          ? new ApiClientError('timeout', 'The server did not acknowledge the subscription.', 0)
          : new ApiClientError('internal', 'The server acknowledged the subscription with something unreadable.', 0);
        entry.settle(error);
        entry.handlers.onError?.(error);
        return;
      }
      if (!ack.data.ok) {
        const { code, message } = ack.data.error;
        const error = new ApiClientError(code, message, code in ERROR_STATUS ? ERROR_STATUS[code as ErrorCode] : 0);
        entry.settle(error);
        entry.handlers.onError?.(error);
        return;
      }
      const wasSubscribed = entry.hasSubscribed;
      entry.hasSubscribed = true;
      entry.settle();
      entry.handlers.onSubscribed?.(snapshotOf(ack.data, entry.topic));
      if (entry.isClosed) return;
      if (isReconnect && wasSubscribed) {
        entry.handlers.onRefetch?.('reconnect');
      }
    });
  }

  private handleOnline(): void {
    const socket = this.socket;
    if (!socket) return;
    if (socket.connected) {
      this.setState('live');
      return;
    }
    if (!this.transport.isAuthenticated || this.stateValue === 'unauthorized') return;
    this.setState('reconnecting');
    // The network is back: connect now rather than when the reconnection delay (up to seconds) runs out.
    socket.disconnect();
    socket.connect();
  }

  private setState(state: ConnectionState): void {
    if (state === this.stateValue) return;
    this.stateValue = state;
    for (const listener of this.stateListeners) listener(state);
  }

  private emitEvent(event: LiveEvent): void {
    for (const listener of this.eventListeners) listener(event);
  }
}

/** An event as `watch` yields it. */
export type LiveEvent =
  | { type: 'run:updated'; run: RunDto | RunSummaryDto }
  | { type: 'run:log'; runId: string; lines: LogLineDto[] }
  | { type: 'job:updated'; job: JobSummaryDto }
  | { type: 'job:deleted'; id: string }
  | { type: 'schedule:recorded'; jobId: string; outcomes: string[] }
  | { type: 'worker:updated'; worker: WorkerDto }
  | { type: 'resync' }
  /** The connection came back and the topic is subscribed again; events may have been missed. */
  | { type: 'reconnected'; topic: Topic };

/** The snapshot an ack carries, if it is the subscribed topic's. */
function snapshotOf(ack: SubscribeAck, topic: Topic): TopicSnapshot {
  if ('run' in ack && topic.topic === 'run' && ack.run.id === topic.runId) return { run: ack.run };
  if ('job' in ack && topic.topic === 'job' && ack.job.id === topic.jobId) return { job: ack.job };
  return {};
}

export const topicKey = (topic: Topic): string =>
  topic.topic === 'dashboard' ? 'dashboard' : topic.topic === 'job' ? `job:${topic.jobId}` : `run:${topic.runId}`;

const stripResume = (topic: Topic): Topic => (topic.topic === 'run' ? { topic: 'run', runId: topic.runId } : topic);

const isOffline = () => typeof navigator !== 'undefined' && navigator.onLine === false;
