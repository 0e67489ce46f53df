import http from 'node:http';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { openCore } from '@jobflow/core';
import { createKeyring, createLogger, createMetrics } from '@jobflow/core/platform';
import { createReconciler, toRunDto } from '@jobflow/core/runs';
import { withScheduleNudges } from '@jobflow/core/schedules';
import type { ServerConfig } from './config';
import type { AppDeps } from './deps';
import { auditRoutes } from './audit/audit.routes';
import { createAuditLog, startAuditPurge } from './audit/audit.store';
import { createAuthenticator } from './auth/authenticate';
import { authenticateMiddleware } from './auth/auth.middleware';
import { authRoutes } from './auth/auth.routes';
import { docsRoutes } from './docs/docs.routes';
import { healthRoutes } from './health/health.routes';
import { jsonBodyMiddleware } from './http/body.middleware';
import { clientOf } from './http/client-address';
import { errorsMiddleware } from './http/errors.middleware';
import { securityHeadersMiddleware } from './http/security-headers';
import { httpMetricsMiddleware } from './http/http-metrics.middleware';
import { requestLogMiddleware } from './http/request-log.middleware';
import { uiMiddleware } from './http/static';
import { createJobsService } from './jobs/jobs.service';
import { jobsRoutes } from './jobs/jobs.routes';
import { createLiveGateway } from './live/live.socket';
import { metricsRoutes } from './metrics/metrics.routes';
import { createRunsService } from './runs/runs.service';
import { runsRoutes } from './runs/runs.routes';
import { schedulesRoutes } from './schedules/index';
import { tokensRoutes } from './tokens/tokens.routes';
import { createUsersService } from './users/users.service';
import { peopleRoutes, usersRoutes } from './users/users.routes';

export const VERSION = '0.1.0';
const DEFAULT_UI_DIST = fileURLToPath(new URL('../../ui/dist', import.meta.url));

export interface App {
  /** The URL the server listens on, once started. */
  url: string;
  /** Every route the server answers (method and path pattern, as its routers define them). */
  routes: { method: string; path: string }[];
  deps: AppDeps;
  /**
   * Starts shutting down: /readyz answers 503 (load balancers stop sending
   * requests) while requests are still served; `close` follows.
   */
  drain(): void;
  /** Stops accepting, disconnects sockets, lets requests in flight finish (up to `shutdownGraceMs`), then closes everything. */
  close(): Promise<void>;
}

/**
 * Builds the whole server (REST API, Socket.IO gateway, UI files, reconciler)
 * from a config and starts listening on `config.port` (0 = any free port).
 */
export async function createApp(config: ServerConfig): Promise<App> {
  const log = createLogger('server', config.logLevel, { format: config.logFormat });
  const metrics = createMetrics('server');
  const core = await openCore({ ...config, log, metrics, decorateLive: (live, redis) => withScheduleNudges(live, redis, config.redisPrefix) });
  const { orm, db, redis, queue, live, runs: engine, outbox } = core;

  const httpServer = http.createServer();
  // Idle keep-alive sockets stay open longer than the clients and proxies in
  // front keep theirs (Node's clients 4 s, typical load balancers 60 s), so a
  // request is never written to a socket the server is just closing.
  httpServer.keepAliveTimeout = 65_000;
  httpServer.headersTimeout = 66_000;
  let gateway: ReturnType<typeof createLiveGateway> | null = null;
  const keyring = createKeyring(config.secrets);
  const deps: AppDeps = {
    config,
    orm,
    db,
    redis,
    queue,
    live,
    runs: engine,
    outbox,
    metrics,
    log,
    keyring,
    disconnect: (target) => gateway?.disconnect(target),
  };
  let isDraining = false;
  const auth = createAuthenticator(deps);
  const audit = createAuditLog({ db, log });
  const users = createUsersService(orm);
  const jobs = createJobsService(deps);
  const runs = createRunsService(deps);

  const app = new Koa({ proxy: false });
  app.silent = true;
  app.use(requestLogMiddleware(log));
  app.use(httpMetricsMiddleware(metrics));
  app.use((ctx, next) => {
    // While draining, keep-alive clients and proxies are told to reconnect (to another server).
    if (isDraining) ctx.set('Connection', 'close');
    return next();
  });
  app.use(securityHeadersMiddleware());
  app.use(errorsMiddleware(log));
  app.use(async (ctx, next) => {
    ctx.state.client = clientOf(ctx.req.headers, ctx.req.socket as { remoteAddress?: string; encrypted?: boolean }, config.trustProxyHops);
    return next();
  });
  app.use(authenticateMiddleware(auth));
  app.use(jsonBodyMiddleware({ limitBytes: config.bodyLimitBytes, maxDepth: config.bodyMaxDepth, maxKeys: config.bodyMaxKeys }));
  const routers = [
    healthRoutes(deps, () => isDraining),
    metricsRoutes(deps),
    docsRoutes(VERSION),
    authRoutes(deps, auth, users, audit),
    usersRoutes(deps, users, audit),
    peopleRoutes(deps),
    tokensRoutes(deps, audit),
    jobsRoutes(jobs, runs, audit),
    runsRoutes(runs, audit),
    schedulesRoutes(jobs, db, audit),
    auditRoutes(audit),
  ];
  for (const router of routers) app.use(router.routes());
  app.use(uiMiddleware(config.uiDist ?? DEFAULT_UI_DIST));
  httpServer.on('request', app.callback());
  const liveGateway = createLiveGateway(httpServer, deps, auth, {
    run: async (runId) => toRunDto(await runs.findOrThrow(runId)),
    job: async (jobId) => jobs.toDto(await jobs.findOrThrow(jobId)),
  });
  gateway = liveGateway;
  metrics.readFrom({ sockets: () => liveGateway.io.engine.clientsCount });

  const reconciler = createReconciler({ db, redis, queue, runs: engine, prefix: config.redisPrefix, log, options: config.reconcile });
  reconciler.start();
  const auditPurge = startAuditPurge(audit, config.auditRetentionDays, log);

  await new Promise<void>((resolve) => httpServer.listen(config.port, config.host, resolve));
  const { port } = httpServer.address() as AddressInfo;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;

  return {
    url: `http://${host}:${port}`,
    routes: routers.flatMap((router) =>
      router.stack.flatMap((layer) => layer.methods.filter((m) => m !== 'HEAD').map((method) => ({ method, path: String(layer.path) }))),
    ),
    deps,
    drain() {
      isDraining = true;
    },
    async close() {
      await auditPurge.stop();
      await reconciler.stop();
      const cut = setTimeout(() => httpServer.closeAllConnections(), config.shutdownGraceMs);
      // Closing Socket.IO stops the HTTP server accepting and waits for its requests in flight.
      await liveGateway.close();
      clearTimeout(cut);
      httpServer.closeAllConnections();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
      await core.close();
    },
  };
}
