import { io, type Socket } from 'socket.io-client';

export type BenchSocket = Socket;

/** A Socket.IO client over WebSocket only, without reconnection: a drop during a benchmark is a failure. */
export function connect(url: string, token?: string): BenchSocket {
  return io(url, { auth: token ? { token } : {}, transports: ['websocket'], reconnection: false, forceNew: true, timeout: 60_000 });
}

export function connected(socket: BenchSocket, timeoutMs = 60_000): Promise<void> {
  if (socket.connected) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('socket did not connect in time')), timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.once('connect_error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/** Sends `subscribe` and resolves with the ack; rejects on `{ok: false}`. */
export function subscribe(socket: BenchSocket, payload: Record<string, unknown>, timeoutMs = 60_000): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.timeout(timeoutMs).emit('subscribe', payload, (err: Error | null, ack: { ok: boolean; error?: { message: string } }) => {
      if (err) return reject(err);
      if (!ack?.ok) return reject(new Error(`subscribe refused: ${ack?.error?.message}`));
      resolve();
    });
  });
}

/**
 * Checks one subscriber's stream of lines for one run: every seq from 1 to
 * `expected`, each once, in order. Counts instead of storing lines.
 */
export class SeqCheck {
  private seen: Uint8Array;
  next = 1;
  received = 0;
  duplicates = 0;
  outOfOrder = 0;
  lastAtMs = 0;

  constructor(readonly expected: number) {
    this.seen = new Uint8Array(expected + 2);
  }

  add(seq: number, atMs: number) {
    this.received++;
    this.lastAtMs = atMs;
    if (seq < 1 || seq > this.expected) {
      this.outOfOrder++;
      return;
    }
    if (this.seen[seq]) this.duplicates++;
    else this.seen[seq] = 1;
    if (seq !== this.next) this.outOfOrder++;
    this.next = Math.max(this.next, seq + 1);
  }

  get isComplete() {
    return this.received - this.duplicates >= this.expected;
  }

  /** Problems, phrased for the report (empty when the stream is exact). */
  problems(what: string): string[] {
    const out: string[] = [];
    let missing = 0;
    for (let s = 1; s <= this.expected; s++) if (!this.seen[s]) missing++;
    if (missing) out.push(`${what}: ${missing} of ${this.expected} lines missing`);
    if (this.duplicates) out.push(`${what}: ${this.duplicates} duplicate lines`);
    if (this.outOfOrder) out.push(`${what}: ${this.outOfOrder} lines out of order`);
    return out;
  }
}

/** Resolves when `check()` is true, polling every `everyMs`; rejects after `timeoutMs`. */
export async function until(check: () => boolean, what: string, timeoutMs: number, everyMs = 5): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
