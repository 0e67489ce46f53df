import type http from 'node:http';
import { once } from 'node:events';
import { Server, type Socket } from 'socket.io';
import {
  ApiError,
  clientEvents,
  rooms,
  zodDetails,
  type ClientToServerEvents,
  type JobDto,
  type RunDto,
  type ServerToClientEvents,
  type SubscribeAck,
  type Topic,
} from '@jobflow/shared';
import { redisKeys } from '@jobflow/core/platform';
import type { AppDeps, DisconnectTarget } from '../deps';
import { authorize } from '../auth/access-policy';
import type { Authenticator, Principal } from '../auth/authenticate';
import { sessionFromCookieHeader } from '../auth/session-cookie';
import { toApiError } from '../http/errors.middleware';
import { createLogCoalescingAdapter } from './log-coalescing-adapter';
import { createSubscriptionLimits, type SubscriptionLimits } from './subscription-limits';

interface SocketData {
  principal: Principal;
  credential: string;
  limits: ReturnType<SubscriptionLimits['forSocket']>;
}

/** Whether a handshake's Origin is this server as the browser reached it (its Host, or PUBLIC_URL). */
function isSameOrigin(origin: string, host: string | undefined, publicUrl: string | undefined): boolean {
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    return false;
  }
  if (host && originHost === host) return true;
  try {
    return publicUrl !== undefined && new URL(publicUrl).host === originHost;
  } catch {
    return false;
  }
}

type LiveSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

const BACKFILL_PAGE_LINES = 1000;
const DRAIN_THRESHOLD_PACKETS = 64;
const SLOW_CONSUMER_CHECK_MS = 1000;
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Packets queued for a socket and not yet written to its transport. */
const buffered = (socket: LiveSocket) => (socket.conn as unknown as { writeBuffer: unknown[] }).writeBuffer.length;

const roomOf = (topic: Topic) => (topic.topic === 'dashboard' ? rooms.dashboard : topic.topic === 'job' ? rooms.job(topic.jobId) : rooms.run(topic.runId));

/** What a `subscribe` ack carries besides `ok`: the snapshot of a run or a job, or nothing (the dashboard). */
type Snapshot = { run: RunDto } | { job: JobDto } | Record<string, never>;

/** Answers an ack with `{ok: true, ...snapshot}` or API.md's error, whatever the handler throws. */
const acked =
  (handler: (payload: unknown) => Promise<Snapshot | void>) =>
  async (payload: unknown, ack: unknown): Promise<void> => {
    const reply = typeof ack === 'function' ? (ack as (a: SubscribeAck) => void) : () => {};
    try {
      const snapshot = await handler(payload);
      reply({ ok: true, ...snapshot });
    } catch (error) {
      const e = toApiError(error);
      reply({ ok: false, error: { code: e.code, message: e.message } });
    }
  };

/** Parses an inbound payload with its event's schema; a bad one is `validation_failed`. */
const parsePayload = (event: keyof typeof clientEvents, payload: unknown): Topic => {
  const parsed = clientEvents[event].payload.safeParse(payload);
  if (!parsed.success)
    throw new ApiError(
      'validation_failed',
      `Bad topic: ${zodDetails(parsed.error)
        .map((d) => `${d.path || '/'} ${d.message}`)
        .join('; ')}`,
    );
  return parsed.data;
};

/**
 * Reads the current snapshot of a run or a job for a `subscribe` ack; throws
 * `not_found` (an `ApiError`) when there is none.
 */
export interface TopicSnapshots {
  run(runId: string): Promise<RunDto>;
  job(jobId: string): Promise<JobDto>;
}

/**
 * The Socket.IO gateway: authenticates sockets with either token kind, lets
 * them join topic rooms (acking with the topic's snapshot and replaying
 * stored log lines for `afterSeq`), tells
 * every socket to `resync` when this server's Redis link came back after a
 * drop, and disconnects subscribers that cannot keep up.
 */
export function createLiveGateway(httpServer: http.Server, deps: AppDeps, auth: Authenticator, snapshots: TopicSnapshots) {
  const { redis, runs, config, log, metrics } = deps;
  const pub = redis.duplicate();
  const sub = redis.duplicate();
  pub.on('error', metrics.redisErrored);
  sub.on('error', metrics.redisErrored);
  const io = new Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>(httpServer, {
    path: '/socket.io',
    serveClient: false,
    maxHttpBufferSize: 64 * 1024,
    adapter: createLogCoalescingAdapter(pub, sub, { key: redisKeys(config.redisPrefix).io }, metrics.eventDelivered),
  });

  const limits = createSubscriptionLimits(config.liveLimits);
  let linkLost = false;
  let isClosing = false;
  sub.on('close', () => {
    if (!linkLost && !isClosing) log.warn('live link to Redis dropped; sockets will be told to resync when it is back');
    linkLost = true;
  });
  sub.on('ready', () => {
    if (!linkLost) return;
    linkLost = false;
    io.local.emit('resync', {});
  });

  /** The handshake's credential: `auth.token` (scripts), else the session cookie (the browser, same origin only). */
  const credentialOf = (socket: LiveSocket): string | null => {
    const given = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    if (typeof given === 'string' && given) return given;
    const cookie = sessionFromCookieHeader(socket.handshake.headers.cookie);
    if (!cookie) return null;
    // A page on another origin must not ride the browser's cookie into a socket (cross-site WebSocket hijacking).
    const origin = socket.handshake.headers.origin;
    if (origin && !isSameOrigin(origin, socket.handshake.headers.host, config.publicUrl)) return null;
    return cookie;
  };

  io.use((socket, next) => {
    auth
      .authenticate(credentialOf(socket))
      .then((principal) => {
        if (!principal) return next(new Error('unauthorized'));
        if (!limits.admit(principal.id)) return next(new Error('rate_limited'));
        socket.data.principal = principal;
        socket.data.credential = credentialOf(socket)!;
        socket.data.limits = limits.forSocket();
        next();
      })
      .catch(() => next(new Error('unavailable')));
  });

  const snapshotOf = async (topic: Topic): Promise<Snapshot> => {
    switch (topic.topic) {
      case 'dashboard':
        return {};
      case 'job':
        return { job: await snapshots.job(topic.jobId) };
      case 'run':
        return { run: await snapshots.run(topic.runId) };
    }
  };

  /**
   * Sends every stored line after `afterSeq`, pausing while the socket's
   * buffer is full. The next page is read while the current one is sent, so
   * a long catch-up costs about one query's time per page, not two steps.
   */
  async function backfill(socket: LiveSocket, runId: string, afterSeq: number, signal: AbortSignal): Promise<void> {
    const room = rooms.run(runId);
    const page = (after: number) => {
      const read = runs.lines(runId, after, BACKFILL_PAGE_LINES);
      read.catch(() => {}); // awaited below; a page read ahead and then abandoned must not be an unhandled rejection
      return read;
    };
    // Replaced by a later subscription to the same run, or unsubscribed: stop reading.
    const isOver = () => signal.aborted || socket.disconnected || !socket.rooms.has(room);
    if (isOver()) return;
    let next = page(afterSeq);
    for (;;) {
      const lines = await next;
      if (isOver() || lines.length === 0) return;
      const isLast = lines.length < BACKFILL_PAGE_LINES;
      if (!isLast) next = page(lines[lines.length - 1]!.seq);
      socket.emit('run:log', { runId, lines });
      if (isLast) return;
      if (buffered(socket) > DRAIN_THRESHOLD_PACKETS) {
        await Promise.race([once(socket.conn, 'drain'), once(socket, 'disconnect')]);
      }
    }
  }

  io.on('connection', (socket) => {
    const principal = socket.data.principal;
    socket.once('disconnect', () => {
      socket.data.limits.close();
      limits.release(principal.id);
    });
    void socket.join(rooms.user(principal.id));
    if (principal.tokenId) void socket.join(rooms.token(principal.tokenId));
    else void socket.join(rooms.sessions(principal.id));
    // A session ended between the handshake's check and joining the rooms above would have missed its disconnect: look once more.
    auth.authenticate(socket.data.credential).then(
      (again) => again || socket.disconnect(true),
      () => {},
    );
    if (principal.expiresAt) {
      // Timers hold at most ~24.8 days: re-arm until the credential really expires.
      const expiresAt = principal.expiresAt.getTime();
      let timer: NodeJS.Timeout;
      const arm = () => {
        const ms = expiresAt - Date.now();
        timer = ms > 0 ? setTimeout(arm, Math.min(ms, MAX_TIMER_MS)) : setTimeout(() => socket.disconnect(true), 0);
      };
      arm();
      socket.once('disconnect', () => clearTimeout(timer));
    }

    socket.on(
      'subscribe',
      acked(async (payload) => {
        authorize(principal, 'live.subscribe');
        const topic = parsePayload('subscribe', payload);
        const room = roomOf(topic);
        const wasJoined = socket.rooms.has(room);
        const replay = topic.topic === 'run' && topic.afterSeq !== undefined ? { runId: topic.runId, afterSeq: topic.afterSeq } : null;
        const place = socket.data.limits.reserve(room, replay?.runId);
        // Join before reading: a change stored after the read is then certain to arrive as an event,
        // so the snapshot and the events leave nothing out (a client keeps the highest version).
        let snapshot: Snapshot;
        try {
          await socket.join(room);
          snapshot = await snapshotOf(topic);
        } catch (error) {
          place.undo();
          if (!wasJoined) await socket.leave(room);
          throw error;
        }
        const running = place.backfill;
        if (replay && running) {
          // Starts after the ack is sent and reads every line stored by now, so it covers the snapshot's logCount.
          const { runId, afterSeq } = replay;
          setImmediate(() =>
            backfill(socket, runId, afterSeq, running.signal)
              .catch((e) => log.warn('log backfill failed', { runId, error: e }))
              .finally(running.done),
          );
        }
        return snapshot;
      }),
    );
    socket.on(
      'unsubscribe',
      acked(async (payload) => {
        const topic = parsePayload('unsubscribe', payload);
        await socket.leave(roomOf(topic));
        socket.data.limits.unsubscribed(roomOf(topic), topic.topic === 'run' ? topic.runId : undefined);
      }),
    );
  });

  const slowConsumerCheck = setInterval(() => {
    for (const socket of io.of('/').sockets.values()) {
      if (buffered(socket) > config.socketMaxBufferedPackets) {
        log.warn('disconnecting a subscriber that cannot keep up', { socketId: socket.id, buffered: buffered(socket) });
        // Close the transport, dropping what is queued: clients reconnect from a lost transport (and resubscribe
        // with their last seq), whereas a Socket.IO disconnect tells them the server ended the session for good.
        socket.conn.close(true);
      }
    }
  }, SLOW_CONSUMER_CHECK_MS);
  slowConsumerCheck.unref();

  return {
    io,
    disconnect(target: DisconnectTarget) {
      const room = 'userId' in target ? rooms.user(target.userId) : 'sessionsOf' in target ? rooms.sessions(target.sessionsOf) : rooms.token(target.tokenId);
      io.in(room).disconnectSockets(true);
    },
    async close() {
      isClosing = true;
      clearInterval(slowConsumerCheck);
      // io.close() closes this server's transports without a Socket.IO disconnect, so clients reconnect (here once it
      // is back, or elsewhere); io.disconnectSockets() would tell them the session ended for good, and would reach the
      // sockets of every other server through the adapter.
      await new Promise<void>((resolve) => io.close(() => resolve()));
      pub.disconnect();
      sub.disconnect();
    },
  };
}
