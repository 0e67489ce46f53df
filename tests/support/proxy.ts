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

export async function startProxy(targetPort: number): Promise<Proxy> {
  const open = new Set<net.Socket>();
  const server = net.createServer((inbound) => {
    const outbound = net.connect(targetPort, '127.0.0.1');
    open.add(inbound);
    open.add(outbound);
    const close = () => {
      inbound.destroy();
      outbound.destroy();
      open.delete(inbound);
      open.delete(outbound);
    };
    inbound.on('error', close).on('close', close);
    outbound.on('error', close).on('close', close);
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  });
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
