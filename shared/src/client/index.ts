import type { Topic } from '../events';
import { followRun, type FollowRunOptions, type RunFollow } from './follow-run';
import { LiveConnection, type ConnectionState, type SubscribeOptions, type Subscription, type TopicHandlers } from './live';
import { createRestApi, Transport, type ClientOptions, type RestApi } from './rest';
import { watch, type Watch, type WatchOptions } from './watch';
import type { ApiClientError } from './client-error';

export { ApiClientError, isApiClientError, type ClientErrorCode } from './client-error';
export type { FollowEvent, FollowRunOptions, RunFollow } from './follow-run';
export type { ConnectionState, LiveEvent, RefetchReason, SubscribeOptions, Subscription, TopicHandlers, TopicSnapshot } from './live';
export type {
  AuditQuery,
  ClientOptions,
  HealthStatus,
  JobInput,
  JobListQuery,
  LogQuery,
  LogSearchQuery,
  PageQuery,
  RestApi,
  RunListQuery,
  RunStatsQuery,
  ScheduleNextQuery,
  StartOptions,
  TokenListQuery,
  UpdateOptions,
} from './rest';
export type { Watch, WatchEvent, WatchOptions } from './watch';
export { newIdempotencyKey, type RetryNotice, type RetryOptions } from './retry';
export { createAsyncQueue, type AsyncQueue } from './async-queue';

/** The typed Jobflow client: every REST endpoint, plus live subscriptions over Socket.IO. */
export interface JobflowClient extends RestApi {
  readonly url: string;
  /** The token requests and the socket use, or null when signed out. */
  readonly token: string | null;
  /** Switches the token; an open socket reconnects with the new one (or closes for `null`). */
  setToken(token: string | null): void;
  /** In a browser: whether the HttpOnly session cookie (from `auth.loginWithCookie`) is the credential; the socket follows. */
  setCookieSession(isActive: boolean): void;
  /** Called when the server refuses the token, over REST (401) or Socket.IO. */
  onAuthError(listener: (error: ApiClientError) => void): () => void;
  readonly connection: {
    readonly state: ConnectionState;
    onChange(listener: (state: ConnectionState) => void): () => void;
    /** Connects now instead of with the first subscription. */
    open(): void;
  };
  /** Subscribes to a topic; the socket connects on the first subscription and resubscribes every topic after a reconnect. */
  subscribe(topic: Topic, handlers: TopicHandlers, options?: SubscribeOptions): Subscription;
  /** Every log line once, in `seq` order, and each newer snapshot, until the run is final. */
  followRun(runId: string, options?: FollowRunOptions): RunFollow;
  /** A topic's events as an async iterator. */
  watch(options: WatchOptions): Watch;
  /** Closes the socket and every subscription. */
  close(): void;
}

/** Builds a client for the server at `url`, usable in Node and the browser. */
export function createClient(options: ClientOptions): JobflowClient {
  const transport = new Transport(options);
  const rest = createRestApi(transport);
  const live = new LiveConnection(transport);
  return {
    ...rest,
    url: transport.baseUrl,
    get token() {
      return transport.token;
    },
    setToken: (token) => transport.setToken(token),
    setCookieSession: (isActive) => transport.setCookieSession(isActive),
    onAuthError: (listener) => transport.onAuthError(listener),
    connection: {
      get state() {
        return live.state;
      },
      onChange: (listener) => live.onStateChange(listener),
      open: () => live.open(),
    },
    subscribe: (topic, handlers, subscribeOptions) => live.subscribe(topic, handlers, subscribeOptions),
    followRun: (runId, followOptions) => followRun(rest, live, runId, followOptions),
    watch: (watchOptions) => watch(live, watchOptions),
    close: () => live.close(),
  };
}

// Browser-safe runtime helpers of the contract, so a browser bundle needs nothing else from shared.
export {
  AUDIT_ACTIONS,
  AUDIT_TARGET_TYPES,
  DEFAULT_SCHEDULE_POLICY,
  FINAL_STATUSES,
  LOG_STREAMS,
  NOTIFICATION_EVENTS,
  RUN_STATUSES,
  SCHEDULE_FIRE_OUTCOMES,
  SCHEDULE_MISSED_POLICIES,
  SCHEDULE_OVERLAP_POLICIES,
  MAX_TAGS,
  TAG_PATTERN,
  TRIGGER_KINDS,
  isFinalStatus,
  jobSummaryOf,
  runSummaryOf,
} from '../dto';
export { ARTIFACT_NAME_PATTERN } from '../artifacts';
export { systemLineOf, type SystemLineCode } from '../system-lines';
// The contract's types, so a browser imports everything from this one entry.
export type * from '../dto';
export type * from '../errors';
export type * from '../events';
