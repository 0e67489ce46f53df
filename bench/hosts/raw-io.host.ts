import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import type { HostRole } from './host';

/**
 * The raw Socket.IO peer: a bare server with the same Redis adapter Jobflow
 * uses, a no-op auth middleware, and `subscribe` joining a named room.
 */
export async function start(args: { redisUrl: string; key: string }): Promise<HostRole> {
  const pub = new Redis(args.redisUrl);
  const sub = pub.duplicate();
  const httpServer = http.createServer();
  const io = new Server(httpServer, {
    path: '/socket.io',
    serveClient: false,
    maxHttpBufferSize: 64 * 1024,
    adapter: createAdapter(pub, sub, { key: args.key }),
  });
  io.use((_socket, next) => next());
  io.on('connection', (socket) => {
    socket.on('subscribe', async (payload: { room?: unknown }, ack?: (a: unknown) => void) => {
      await socket.join(String(payload?.room));
      ack?.({ ok: true });
    });
  });
  await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', r));
  return {
    info: { url: `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`, key: args.key },
    commands: {},
    async close() {
      io.disconnectSockets(true);
      await new Promise<void>((r) => io.close(() => r()));
      pub.disconnect();
      sub.disconnect();
    },
  };
}
