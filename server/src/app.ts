import http from 'node:http';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { openCore } from '@jobflow/core';
import { createKeyring, createLogger, createMetrics } from '@jobflow/core/platform';
import { toRunDto } from '@jobflow/core/runs';
import { sweepHolderId } from '@jobflow/core/sweeps';
import { withScheduleNudges } from '@jobflow/core/schedules';
import { startWorkerSweep } from '@jobflow/core/workers';
import type { ServerConfig } from './config';
import type { AppDeps } from './deps';
import { auditHandlers } from './audit/audit.routes';
import { AUDIT_PURGE_INTERVAL_MS, createAuditLog, purgeOldAuditEntries } from './audit/audit.store';
import { createAuthenticator } from './auth/authenticate';
import { authenticateMiddleware } from './auth/auth.middleware';
import { authHandlers } from './auth/auth.routes';
import { docsRoutes } from './docs/docs.routes';
import { healthHandlers } from './health/health.routes';
import { createIdempotency, startIdempotencyPurge } from './idempotency/idempotency.store';
import { apiRouter } from './http/api-router';
import { jsonBodyMiddleware } from './http/body.middleware';
import { methodNotAllowedMiddleware } from './http/method-not-allowed.middleware';
import { clientOf } from './http/client-address';
import { errorsMiddleware } from './http/errors.middleware';
import { securityHeadersMiddleware } from './http/security-headers';
import { httpMetricsMiddleware } from './http/http-metrics.middleware';
import { requestLogMiddleware } from './http/request-log.middleware';
import { uiMiddleware } from './http/static';
import { compressionMiddleware } from './http/compression';
import { createJobsService } from './jobs/jobs.service';
import { jobsHandlers } from './jobs/jobs.routes';
import { logsHandlers } from './logs/logs.routes';
import { createLiveGateway } from './live/live.socket';
import { metricsHandlers } from './metrics/metrics.routes';
import { createRunsService } from './runs/runs.service';
import { runsHandlers } from './runs/runs.routes';
import { queueHandlers } from './queue/queue.routes';
import { schedulesHandlers, upcomingHandlers } from './schedules/index';
import { tokensHandlers } from './tokens/tokens.routes';
import { artifactsHandlers } from './runs/artifacts.routes';
import { createUsersService } from './users/users.service';
import { peopleHandlers, usersHandlers } from './users/users.routes';
import { workersHandlers } from './workers/workers.routes';

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
 * Builds the whole server (REST API, Socket.IO gateway, UI files, its part in the sweeps)
 * from a config and starts listening on `config.port` (0 = any free port).
 */
export async function createApp(config: ServerConfig): Promise<App> {
  const log = createLogger('server', config.logLevel, { format: config.logFormat });
  const metrics = createMetrics('server');
  const core = await openCore({
    ...config,
    log,
    metrics,
    sweepHolder: sweepHolderId('server'),
    decorateLive: (live, redis) => withScheduleNudges(live, redis, config.redisPrefix),
  });
  const { orm, db, redis, queue, live, runs: engine, outbox, artifacts } = core;

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
    artifacts,
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
  const idempotency = createIdempotency(db.sql);

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
  app.use(compressionMiddleware());
  app.use(errorsMiddleware(log));
  app.use(async (ctx, next) => {
    ctx.state.client = clientOf(ctx.req.headers, ctx.req.socket as { remoteAddress?: string; encrypted?: boolean }, config.trustProxyHops);
    return next();
  });
  app.use(authenticateMiddleware(auth));
  app.use(jsonBodyMiddleware({ limitBytes: config.bodyLimitBytes, maxDepth: config.bodyMaxDepth, maxKeys: config.bodyMaxKeys }));
  const routers = [
    apiRouter(
      {
        ...healthHandlers(deps, () => isDraining),
        ...metricsHandlers(deps),
        ...authHandlers(deps, auth, users, audit),
        ...usersHandlers(deps, users, audit),
        ...peopleHandlers(deps),
        ...tokensHandlers(deps, audit),
        ...jobsHandlers(jobs, runs, audit),
        ...runsHandlers(runs, audit),
        ...logsHandlers(deps.runs),
        ...artifactsHandlers(runs, artifacts),
        ...schedulesHandlers(jobs, db, audit),
        ...upcomingHandlers(db),
        ...queueHandlers(engine),
        ...workersHandlers(deps, audit),
        ...auditHandlers(audit),
      },
      { idempotency },
    ),
    docsRoutes(VERSION),
  ];
  for (const router of routers) app.use(router.routes());
  app.use(methodNotAllowedMiddleware(routers));
  app.use(uiMiddleware(config.uiDist ?? DEFAULT_UI_DIST));
  httpServer.on('request', app.callback());
  const liveGateway = createLiveGateway(httpServer, deps, auth, {
    run: async (runId) => toRunDto(await runs.findOrThrow(runId)),
    job: async (jobId) => jobs.toDto(await jobs.findOrThrow(jobId)),
  });
  gateway = liveGateway;
  metrics.readFrom({ sockets: () => liveGateway.io.engine.clientsCount });

  core.sweeper.every('audit-purge', AUDIT_PURGE_INTERVAL_MS, () => purgeOldAuditEntries(audit, config.auditRetentionDays, log));
  const idempotencyPurge = startIdempotencyPurge(idempotency, log);
  const workerSweep = startWorkerSweep({ db, live, log, intervalMs: config.reconcile.intervalMs });
  await core.sweeper.start();

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
      // Hands the sweep leases over first, so another process sweeps while this one closes.
      await core.sweeper.stop();
      await idempotencyPurge.stop();
      await workerSweep.stop();
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
