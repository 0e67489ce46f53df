import type http from 'node:http';
import { once } from 'node:events';
import { Server, type Socket } from 'socket.io';
import { ApiError, Topic, rooms, zodDetails, type Ack, type ClientToServerEvents, type ServerToClientEvents } from '@jobflow/shared';
import { JobSchema, isUuid } from '@jobflow/core/db';
import { redisKeys } from '@jobflow/core/platform';
import { runStore } from '@jobflow/core/runs';
import type { AppDeps, DisconnectTarget } from '../deps';
import { authorize } from '../auth/access-policy';
import type { Authenticator, Principal } from '../auth/authenticate';
import { sessionFromCookieHeader } from '../auth/session-cookie';
import { toApiError } from '../http/errors.middleware';
import { createLogCoalescingAdapter } from './log-coalescing-adapter';

interface SocketData {
  principal: Principal;
  credential: string;
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

/** Answers an ack with `{ok: true}` or API.md's error, whatever the handler throws. */
const acked =
  (handler: (payload: unknown) => Promise<void>) =>
  async (payload: unknown, ack: unknown): Promise<void> => {
    const reply = typeof ack === 'function' ? (ack as (a: Ack) => void) : () => {};
    try {
      await handler(payload);
      reply({ ok: true });
    } catch (error) {
      const e = toApiError(error);
      reply({ ok: false, error: { code: e.code, message: e.message } });
    }
  };

const parseTopic = (payload: unknown): Topic => {
  const parsed = Topic.safeParse(payload);
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
 * The Socket.IO gateway: authenticates sockets with either token kind, lets
 * them join topic rooms (replaying stored log lines for `afterSeq`), tells
 * every socket to `resync` when this server's Redis link came back after a
 * drop, and disconnects subscribers that cannot keep up.
 */
export function createLiveGateway(httpServer: http.Server, deps: AppDeps, auth: Authenticator) {
  const { redis, db, orm, config, log } = deps;
  const pub = redis.duplicate();
  const sub = redis.duplicate();
  pub.on('error', () => {});
  sub.on('error', () => {});
  const io = new Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>(httpServer, {
    path: '/socket.io',
    serveClient: false,
    maxHttpBufferSize: 64 * 1024,
    adapter: createLogCoalescingAdapter(pub, sub, { key: redisKeys(config.redisPrefix).io }),
  });

  let linkLost = false;
  sub.on('close', () => {
    if (!linkLost) log.warn('live link to Redis dropped; sockets will be told to resync when it is back');
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
        socket.data.principal = principal;
        socket.data.credential = credentialOf(socket)!;
        next();
      })
      .catch(() => next(new Error('unavailable')));
  });

  async function checkExists(topic: Topic): Promise<void> {
    if (topic.topic === 'job') {
      const found = isUuid(topic.jobId) && (await orm.em.fork().count(JobSchema, { id: topic.jobId })) > 0;
      if (!found) throw new ApiError('not_found', 'No such job.');
    } else if (topic.topic === 'run') {
      const found = isUuid(topic.runId) && (await db.sql(`select 1 from runs where id = ?`, [topic.runId])).length > 0;
      if (!found) throw new ApiError('not_found', 'No such run.');
    }
  }

  /**
   * Sends every stored line after `afterSeq`, pausing while the socket's
   * buffer is full. The next page is read while the current one is sent, so
   * a long catch-up costs about one query's time per page, not two steps.
   */
  async function backfill(socket: LiveSocket, runId: string, afterSeq: number): Promise<void> {
    const room = rooms.run(runId);
    const page = (after: number) => {
      const read = runStore.logs(db.sql, runId, after, BACKFILL_PAGE_LINES);
      read.catch(() => {}); // awaited below; a page read ahead and then abandoned must not be an unhandled rejection
      return read;
    };
    if (socket.disconnected || !socket.rooms.has(room)) return;
    let next = page(afterSeq);
    for (;;) {
      const lines = await next;
      if (socket.disconnected || !socket.rooms.has(room) || lines.length === 0) return;
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
        const topic = parseTopic(payload);
        await checkExists(topic);
        await socket.join(roomOf(topic));
        if (topic.topic === 'run' && topic.afterSeq !== undefined) {
          const { runId, afterSeq } = topic;
          setImmediate(() => backfill(socket, runId, afterSeq).catch((e) => log.warn('log backfill failed', { runId, error: e })));
        }
      }),
    );
    socket.on(
      'unsubscribe',
      acked(async (payload) => {
        await socket.leave(roomOf(parseTopic(payload)));
      }),
    );
  });

  const slowConsumerCheck = setInterval(() => {
    for (const socket of io.of('/').sockets.values()) {
      if (buffered(socket) > config.socketMaxBufferedPackets) {
        log.warn('disconnecting a subscriber that cannot keep up', { socketId: socket.id, buffered: buffered(socket) });
        socket.disconnect(true);
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
      clearInterval(slowConsumerCheck);
      io.disconnectSockets(true);
      await new Promise<void>((resolve) => io.close(() => resolve()));
      pub.disconnect();
      sub.disconnect();
    },
  };
}
