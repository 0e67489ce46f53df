import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { track, untrack } from './leak-check';
import { joinSockets } from './proxy';

/** Picks requests by method and path (without the query). */
export type RequestMatch = (method: string, path: string) => boolean;

/**
 * A small HTTP gateway in front of a server, as a load balancer is during a
 * deploy: it passes requests and WebSocket upgrades on, and can be told to
 * answer some requests itself with a 503 (no server behind it), or to pass
 * a request on and then reset the connection before the answer reaches the
 * client (the server acted; the client cannot know).
 */
/** A request that reached the gateway: header names in lower case. */
export interface GatewayRequest {
  method: string;
  /** Without the query. */
  path: string;
  headers: http.IncomingHttpHeaders;
  isUpgrade: boolean;
}

export interface Gateway {
  url: string;
  /** Every request that reached the gateway, in order of arrival. */
  readonly requests: readonly GatewayRequest[];
  /** The same, as `METHOD /path` (`METHOD /path (upgrade)` for a WebSocket). */
  readonly seen: readonly string[];
  /** The next `count` requests `match` accepts get a 503 from the gateway (with `Retry-After` when given). */
  refuse(match: RequestMatch, count: number, options?: { retryAfterSec?: number }): void;
  /** The next `count` requests `match` accepts reach the server; the client's connection is reset once the server has answered. */
  dropAnswers(match: RequestMatch, count: number): void;
  /** Forgets what it was told: every request passes again. */
  passAll(): void;
  close(): Promise<void>;
}

interface Rule {
  kind: 'refuse' | 'drop';
  match: RequestMatch;
  left: number;
  retryAfterSec?: number;
}

const NO_SERVER_PAGE = '<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n';

export async function startGateway(targetPort: number): Promise<Gateway> {
  const requests: GatewayRequest[] = [];
  const rules: Rule[] = [];
  const upgraded = new Set<net.Socket>();

  const ruleFor = (method: string, path: string): Rule | null => {
    const rule = rules.find((r) => r.left > 0 && r.match(method, path));
    if (rule) rule.left -= 1;
    return rule ?? null;
  };

  const server = http.createServer((req, res) => {
    const method = req.method ?? 'GET';
    const path = (req.url ?? '/').split('?')[0]!;
    requests.push({ method, path, headers: req.headers, isUpgrade: false });
    const rule = ruleFor(method, path);
    if (rule?.kind === 'refuse') {
      req.resume();
      const retryAfter = rule.retryAfterSec === undefined ? {} : { 'retry-after': String(rule.retryAfterSec) };
      res.writeHead(503, { 'content-type': 'text/html', 'cache-control': 'no-cache', connection: 'close', ...retryAfter });
      res.end(NO_SERVER_PAGE);
      return;
    }
    const upstream = http.request({ host: '127.0.0.1', port: targetPort, method, path: req.url, headers: req.headers }, (answer) => {
      if (rule?.kind === 'drop') {
        answer.resume();
        answer.on('end', () => req.socket.resetAndDestroy());
        return;
      }
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { connection: 'close' });
      res.end();
    });
    req.pipe(upstream);
  });

  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    requests.push({ method: req.method ?? 'GET', path: (req.url ?? '/').split('?')[0]!, headers: req.headers, isUpgrade: true });
    const upstream = net.connect(targetPort, '127.0.0.1');
    const lines = [`${req.method} ${req.url} HTTP/1.1`];
    for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
    upstream.write(lines.join('\r\n') + '\r\n\r\n');
    if (head.length) upstream.write(head);
    joinSockets(socket, upstream, upgraded);
  });

  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;

  const gateway: Gateway = {
    url: `http://127.0.0.1:${port}`,
    requests,
    get seen() {
      return requests.map((r) => `${r.method} ${r.path}${r.isUpgrade ? ' (upgrade)' : ''}`);
    },
    refuse(match, count, options = {}) {
      rules.push({ kind: 'refuse', match, left: count, retryAfterSec: options.retryAfterSec });
    },
    dropAnswers(match, count) {
      rules.push({ kind: 'drop', match, left: count });
    },
    passAll() {
      rules.length = 0;
    },
    async close() {
      for (const socket of [...upgraded]) socket.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      untrack(gateway);
    },
  };
  return track(gateway, `gateway at ${gateway.url}`);
}
