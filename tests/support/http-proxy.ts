import { once } from 'node:events';
import net from 'node:net';
import { track, untrack } from './leak-check';

/** The first request of a connection through the proxy. */
export interface SeenRequest {
  method: string;
  /** Path and query, e.g. `/socket.io/?EIO=4&transport=websocket`. */
  target: string;
  /** Header names in lower case. */
  headers: Record<string, string>;
}

/**
 * A TCP proxy in front of a server that reads the first request of every
 * connection (clients under test open one connection per request, or one
 * per Socket.IO transport), can hold back new Socket.IO connections, and can
 * stop passing the server's bytes to Socket.IO clients, as a stalled network
 * or a client too slow to read would.
 */
export interface HttpProxy {
  url: string;
  /** Every connection's first request, in order of arrival. */
  readonly requests: readonly SeenRequest[];
  /** The Socket.IO requests among them. */
  socketIoRequests(): SeenRequest[];
  /** New Socket.IO connections wait (REST still passes) until `release()`. */
  holdSocketIo(): void;
  release(): void;
  /** The server's bytes stop reaching Socket.IO clients; the server's writes back up until `resumeSocketIo()`. */
  pauseSocketIo(): void;
  resumeSocketIo(): void;
  close(): Promise<void>;
}

const HEADER_END = '\r\n\r\n';

function parseRequest(head: string): SeenRequest {
  const [requestLine = '', ...lines] = head.split('\r\n');
  const [method = '', target = ''] = requestLine.split(' ');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { method, target, headers };
}

export async function startHttpProxy(targetPort: number): Promise<HttpProxy> {
  const requests: SeenRequest[] = [];
  const open = new Set<net.Socket>();
  const downstreams = new Set<{ upstream: net.Socket; isPaused: boolean }>();
  let isPaused = false;
  let hold: { promise: Promise<void>; release: () => void } | null = null;

  const forward = (inbound: net.Socket, head: Buffer, isSocketIo: boolean) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    open.add(upstream);
    const close = () => {
      inbound.destroy();
      upstream.destroy();
      open.delete(inbound);
      open.delete(upstream);
      downstreams.delete(flow);
    };
    const flow = { upstream, isPaused: isSocketIo && isPaused };
    if (isSocketIo) downstreams.add(flow);
    if (flow.isPaused) upstream.pause();
    upstream.write(head);
    inbound.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      if (!inbound.write(chunk)) upstream.pause();
    });
    inbound.on('drain', () => {
      if (!flow.isPaused) upstream.resume();
    });
    upstream.on('end', () => inbound.end());
    inbound.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  };

  const server = net.createServer((inbound) => {
    open.add(inbound);
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf(HEADER_END);
      if (end === -1) return;
      inbound.off('data', onData);
      inbound.pause();
      const request = parseRequest(buffered.subarray(0, end).toString('latin1'));
      requests.push(request);
      const isSocketIo = request.target.startsWith('/socket.io/');
      const head = buffered;
      if (isSocketIo && hold) void hold.promise.then(() => !inbound.destroyed && forward(inbound, head, true));
      else forward(inbound, head, isSocketIo);
    };
    inbound.on('data', onData);
    inbound.on('error', () => inbound.destroy());
    inbound.on('close', () => open.delete(inbound));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;

  const proxy: HttpProxy = {
    url: `http://127.0.0.1:${port}`,
    requests,
    socketIoRequests: () => requests.filter((r) => r.target.startsWith('/socket.io/')),
    holdSocketIo() {
      if (hold) return;
      let release!: () => void;
      const promise = new Promise<void>((resolve) => (release = resolve));
      hold = { promise, release };
    },
    release() {
      hold?.release();
      hold = null;
    },
    pauseSocketIo() {
      isPaused = true;
      for (const flow of downstreams) {
        flow.isPaused = true;
        flow.upstream.pause();
      }
    },
    resumeSocketIo() {
      isPaused = false;
      for (const flow of downstreams) {
        flow.isPaused = false;
        flow.upstream.resume();
      }
    },
    async close() {
      proxy.release();
      for (const socket of [...open]) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
      untrack(proxy);
    },
  };
  return track(proxy, `proxy at ${proxy.url}`);
}
