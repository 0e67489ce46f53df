import { once } from 'node:events';
import net from 'node:net';
import { track, untrack } from './leak-check';

/** A TCP proxy in front of a server, whose connections can be cut at once (a dropped network link). */
export interface Proxy {
  url: string;
  /** Resets every open connection through the proxy. */
  cutConnections(): number;
  close(): Promise<void>;
}

/**
 * Passes bytes both ways between two sockets, kept in `open` while they last;
 * when either closes or fails, both go.
 */
export function joinSockets(a: net.Socket, b: net.Socket, open: Set<net.Socket>): void {
  open.add(a).add(b);
  const close = () => {
    a.destroy();
    b.destroy();
    open.delete(a);
    open.delete(b);
  };
  a.on('error', close).on('close', close);
  b.on('error', close).on('close', close);
  a.pipe(b).pipe(a);
}

export async function startProxy(targetPort: number): Promise<Proxy> {
  const open = new Set<net.Socket>();
  const server = net.createServer((inbound) => joinSockets(inbound, net.connect(targetPort, '127.0.0.1'), open));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  const cutConnections = () => {
    const count = open.size;
    for (const socket of [...open]) socket.resetAndDestroy();
    return count;
  };
  const proxy: Proxy = {
    url: `http://127.0.0.1:${port}`,
    cutConnections,
    async close() {
      cutConnections();
      await new Promise((resolve) => server.close(resolve));
      untrack(proxy);
    },
  };
  return track(proxy, `a proxy to :${targetPort}`);
}
