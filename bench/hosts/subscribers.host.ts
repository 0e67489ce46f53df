import { LatencyHistogram, type HistogramData } from '../lib/histogram';
import { timeOfLine } from '../lib/lines';
import { wallMs } from '../lib/probe';
import { pool } from '../lib/http';
import { SeqCheck, connect, connected, subscribe, until, type BenchSocket } from '../lib/sockets';
import type { HostRole } from './host';

type LogMessage = { runId: string; lines: { seq: number; text: string }[] };

/** One side's sockets in this process (Jobflow's, or the raw Socket.IO server's). */
interface SideSockets {
  url: string;
  token?: string;
  sockets: BenchSocket[];
  /** Disconnections so far (a server dropped the client, or its pings went unanswered). */
  disconnects: number;
}

/** What the current repeat collects: one seq check per subscribed socket, every latency in a histogram. */
interface Armed {
  side: string;
  runId: string;
  /** Global subscriber number of each local socket, for the report. */
  numbers: number[];
  checks: SeqCheck[];
  producedAt: Float64Array;
  /** When each line reached this process's first subscriber (by seq). */
  arrivedAt: Float64Array;
  histogram: LatencyHistogram;
  disconnectsAtArm: number;
}

/**
 * A load generator of the fanout benchmark: holds a share of the
 * subscribers of both sides, checks that each gets every line once and in
 * order, and sends the driver a latency histogram (line produced → line
 * here) instead of every sample. Several run at once, so the generator is
 * not what limits delivery; their event-loop delay is in the report.
 */
export async function start(): Promise<HostRole> {
  const sides = new Map<string, SideSockets>();
  let armed: Armed | null = null;

  function listen(side: string, index: number, socket: BenchSocket, state: SideSockets) {
    socket.on('disconnect', () => state.disconnects++);
    socket.on('run:log', (msg: LogMessage) => {
      const a = armed;
      const check = a?.checks[index];
      if (!a || !check || a.side !== side || msg.runId !== a.runId) return;
      const now = wallMs();
      for (const l of msg.lines) {
        let at = a.producedAt[l.seq];
        if (!at) at = a.producedAt[l.seq] = timeOfLine(l.text);
        a.histogram.add(now - at);
        if (index === 0 && l.seq > 0 && l.seq < a.arrivedAt.length && !a.arrivedAt[l.seq]) a.arrivedAt[l.seq] = now;
        check.add(l.seq, now);
      }
    });
  }

  /** The first `count` sockets of a side, connected (a dropped one is replaced). */
  async function ensure(side: string, count: number): Promise<BenchSocket[]> {
    const state = sides.get(side);
    if (!state) throw new Error(`side ${side} was never opened`);
    await pool(count, 50, async (i) => {
      const old = state.sockets[i];
      if (old?.connected) return;
      old?.close();
      const socket = connect(state.url, state.token);
      await connected(socket);
      listen(side, i, socket, state);
      state.sockets[i] = socket;
    });
    return state.sockets.slice(0, count);
  }

  return {
    info: { pid: process.pid },
    commands: {
      /** Connects `count` sockets for a side (without subscribing them). */
      open: async (a: { side: string; url: string; token?: string; count: number }) => {
        if (!sides.has(a.side)) sides.set(a.side, { url: a.url, token: a.token, sockets: [], disconnects: 0 });
        await ensure(a.side, a.count);
        return { connected: a.count };
      },
      /** Subscribes the side's first sockets (`numbers` are their subscriber numbers) and starts checking `total` lines of `runId`. */
      arm: async (a: { side: string; runId: string; numbers: number[]; total: number; payload: Record<string, unknown> }) => {
        const sockets = await ensure(a.side, a.numbers.length);
        armed = {
          side: a.side,
          runId: a.runId,
          numbers: a.numbers,
          checks: a.numbers.map(() => new SeqCheck(a.total)),
          producedAt: new Float64Array(a.total + 1),
          arrivedAt: new Float64Array(a.total + 1),
          histogram: new LatencyHistogram(),
          disconnectsAtArm: sides.get(a.side)!.disconnects,
        };
        const failures: string[] = [];
        await pool(sockets.length, 50, (i) =>
          subscribe(sockets[i]!, a.payload, 20_000).catch((e: Error) => failures.push(`subscriber ${a.numbers[i]}: ${e.message}`)),
        );
        return failures;
      },
      /** Waits until every armed socket has every line (or the deadline), then reports. */
      collect: async (a: {
        timeoutMs: number;
        withTimes?: boolean;
      }): Promise<{ histogram: HistogramData; missing: string[]; dropped: number; times?: { produced: number[]; arrived: number[] } }> => {
        const x = armed;
        if (!x) throw new Error('nothing armed');
        // A client its server dropped gets nothing more: waiting for it would only stretch the repeat.
        const sockets = sides.get(x.side)!.sockets;
        await until(() => x.checks.every((c, i) => c.isComplete || !sockets[i]?.connected), 'every subscriber to get every line', a.timeoutMs, 5).catch(
          () => undefined,
        );
        armed = null;
        return {
          histogram: x.histogram.toJSON(),
          missing: x.checks.flatMap((c, i) => c.problems(`subscriber ${x.numbers[i]}`)),
          dropped: sides.get(x.side)!.disconnects - x.disconnectsAtArm,
          // Per line, produced and at the first subscriber here: the ends of the stage breakdown.
          ...(a.withTimes ? { times: { produced: Array.from(x.producedAt), arrived: Array.from(x.arrivedAt) } } : {}),
        };
      },
      /** Sends `unsubscribe` from the side's first `count` sockets and waits for the acks. */
      unsubscribe: async (a: { side: string; count: number; payload: Record<string, unknown> }) => {
        const state = sides.get(a.side);
        if (!state) return;
        const sockets = state.sockets.slice(0, a.count).filter((s) => s.connected);
        await pool(sockets.length, 50, (i) => new Promise((r) => sockets[i]!.timeout(10_000).emit('unsubscribe', a.payload, r)));
      },
    },
    async close() {
      for (const state of sides.values()) for (const s of state.sockets) s?.disconnect();
    },
  };
}
