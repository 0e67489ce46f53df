import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isScrapeAuthorized } from '@jobflow/core/platform';
import type { Worker } from '../worker';

export interface HealthServer {
  /** The URL it listens on. */
  url: string;
  /** From now on /readyz and /metrics answer for `worker` (before, /readyz says the worker is starting). */
  attach(worker: Worker): void;
  close(): Promise<void>;
}

const PATHS = new Set(['/healthz', '/readyz', '/metrics']);

const json = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
};
const error = (code: string, message: string) => ({ error: { code, message } });

/**
 * A worker's operational endpoints, on a port of their own: `/healthz` (the
 * process lives), `/readyz` (PostgreSQL and Redis answer and the worker is not
 * shutting down) and `/metrics` (Prometheus text, behind `metricsToken` when
 * set). Listening starts before the worker does, so a port already taken stops
 * the process before it takes any run.
 */
export async function startHealthServer(o: { port: number; host: string; metricsToken?: string }): Promise<HealthServer> {
  let worker: Worker | null = null;
  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://worker').pathname;
    if (!PATHS.has(path)) return json(res, 404, error('not_found', `No route for ${req.method} ${path}.`));
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return json(res, 405, error('method_not_allowed', `${path} answers GET and HEAD.`), { allow: 'GET, HEAD' });
    }
    if (path === '/healthz') return json(res, 200, { status: 'ok' });
    if (!worker) return json(res, 503, error('unavailable', 'Not ready: the worker is starting.'));
    if (path === '/readyz') {
      worker.readiness().then(
        ({ status, body }) => json(res, status, body),
        () => json(res, 503, error('unavailable', 'Not ready.')),
      );
      return;
    }
    if (!isScrapeAuthorized(req.headers.authorization, o.metricsToken)) {
      return json(res, 401, error('unauthorized', 'The metrics need Authorization: Bearer <METRICS_TOKEN>.'), { 'www-authenticate': 'Bearer realm="metrics"' });
    }
    const { metrics } = worker;
    metrics.render().then(
      (text) => {
        res.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' });
        res.end(text);
      },
      () => json(res, 500, error('internal', 'Internal error.')),
    );
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = o.host === '0.0.0.0' || o.host === '::' ? '127.0.0.1' : o.host;
  return {
    url: `http://${host}:${port}`,
    attach(w) {
      worker = w;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
