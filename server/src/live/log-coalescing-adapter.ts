import type { Redis } from 'ioredis';
import type { Namespace } from 'socket.io';
import { Adapter, type BroadcastOptions } from 'socket.io-adapter';
import { RedisAdapter, type RedisAdapterOptions } from '@socket.io/redis-adapter';
import { STORED_AT_FLAG } from '@jobflow/core/live';
import { logTraceChannel, traceLog, type LogTrace } from '@jobflow/core/platform';

interface EventPacket {
  type: number;
  nsp?: string;
  data?: unknown[];
}
interface LogPayload {
  runId: string;
  lines: unknown[];
}
interface WireOptions {
  rooms: string[];
  except: string[];
  flags?: BroadcastOptions['flags'] & { [STORED_AT_FLAG]?: number };
}

/** Told when a packet published at `storedAtMs` was written to this server's sockets. */
export type OnDelivered = (storedAtMs: number) => void;

/** The parts of RedisAdapter this subclass builds on (declared private in its typings). */
interface RedisAdapterInternals extends Adapter {
  readonly uid: string;
  readonly channel: string;
  readonly parser: { decode(msg: Buffer): unknown };
  onmessage(pattern: unknown, channel: Buffer | string, msg: Buffer): void;
  hasRoom(room: string): boolean;
}
const Base = RedisAdapter as unknown as new (nsp: Namespace, pub: Redis, sub: Redis, opts?: Partial<RedisAdapterOptions>) => RedisAdapterInternals;

const broadcastLocally = (adapter: Adapter, packet: EventPacket, rooms: string[], except: string[], flags: WireOptions['flags']) =>
  Adapter.prototype.broadcast.call(adapter, packet as never, { rooms: new Set(rooms), except: new Set(except), flags });

/**
 * The Redis adapter, except that the `run:log` packets of one run that arrive
 * from Redis in one event-loop turn go to its subscribers as one packet (their
 * lines concatenated, still in `seq` order). An idle server sends every
 * packet as it comes; a server busy writing to hundreds of sockets sends one
 * frame per socket for all the lines that arrived meanwhile, instead of one
 * per packet. Any other event first sends the lines held before it, so the
 * order of events is kept.
 */
class LogCoalescingAdapter extends Base {
  private held = new Map<string, { packet: EventPacket; payload: LogPayload; opts: WireOptions }>();
  private flushScheduled = false;
  onDelivered: OnDelivered | null = null;

  /** Writes a packet to the local sockets, then reports its lag (a merged packet: that of its oldest part). */
  private deliver(packet: EventPacket, opts: WireOptions): void {
    broadcastLocally(this, packet, opts.rooms, opts.except, opts.flags);
    if (logTraceChannel.hasSubscribers && packet.data?.[0] === 'run:log') {
      const payload = packet.data[1] as LogPayload;
      traceLog('delivered', payload.runId, payload.lines as LogTrace['lines']);
    }
    const storedAtMs = opts.flags?.[STORED_AT_FLAG];
    if (this.onDelivered && typeof storedAtMs === 'number') this.onDelivered(storedAtMs);
  }

  override onmessage(_pattern: unknown, channel: Buffer | string, msg: Buffer): void {
    const name = channel.toString();
    if (!name.startsWith(this.channel)) return;
    const room = name.slice(this.channel.length, -1);
    if (room !== '' && !this.hasRoom(room)) return;
    const [uid, packet, opts] = this.parser.decode(msg) as [string, EventPacket | undefined, WireOptions];
    if (uid === this.uid || !packet) return;
    if ((packet.nsp ?? '/') !== this.nsp.name) return;
    packet.nsp = this.nsp.name;
    const payload = packet.data?.[0] === 'run:log' ? (packet.data[1] as LogPayload) : undefined;
    if (payload && opts.rooms.length === 1 && opts.except.length === 0 && Array.isArray(payload.lines)) {
      traceLog('received', payload.runId, payload.lines as LogTrace['lines']);
      const held = this.held.get(payload.runId);
      if (held && held.opts.rooms[0] === opts.rooms[0]) {
        held.payload.lines = held.payload.lines.concat(payload.lines);
      } else {
        if (held) this.flush();
        this.held.set(payload.runId, { packet, payload, opts });
      }
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
      return;
    }
    this.flush();
    this.deliver(packet, opts);
  }

  /** Sends every held `run:log` packet, in the order they first arrived. */
  private flush(): void {
    this.flushScheduled = false;
    if (this.held.size === 0) return;
    const held = [...this.held.values()];
    this.held.clear();
    for (const { packet, opts } of held) this.deliver(packet, opts);
  }

  override close(): ReturnType<RedisAdapterInternals['close']> {
    this.flush();
    return super.close();
  }
}

/**
 * `createAdapter` of @socket.io/redis-adapter, with `run:log` packets
 * coalesced per event-loop turn. Socket.IO calls the result with `new`, so it
 * is a function, not an arrow.
 */
export function createLogCoalescingAdapter(pub: Redis, sub: Redis, opts: Partial<RedisAdapterOptions>, onDelivered?: OnDelivered) {
  return function (nsp: Namespace) {
    const adapter = new LogCoalescingAdapter(nsp, pub, sub, opts);
    adapter.onDelivered = onDelivered ?? null;
    return adapter;
  };
}
