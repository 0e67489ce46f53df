import { preflight, startOrExplain } from '@jobflow/core/platform';
import { loadWorkerConfig } from './config';
import { startHealthServer, type HealthServer } from './health/health.server';
import { createWorker } from './worker';

const config = loadWorkerConfig(process.env);
await preflight(config);
let health: HealthServer | null = null;
if (config.healthPort !== 0) {
  health = await startHealthServer({ port: config.healthPort, host: config.host, metricsToken: config.metricsToken }).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'EADDRINUSE' && e.code !== 'EACCES') throw e;
    console.error(
      `The worker's HEALTH_PORT ${config.healthPort} on ${config.host} is not available (${e.code}): set HEALTH_PORT to a free port, or 0 to turn it off.`,
    );
    process.exit(1);
  });
}
const worker = await startOrExplain(config, () => createWorker(config));
if (health) {
  health.attach(worker);
  worker.log.info(`health, readiness and metrics on ${health.url} (/healthz, /readyz, /metrics)`);
}

// On a signal, readiness fails at once; running runs get SHUTDOWN_GRACE_MS to
// finish and the rest are handed back. Health answers until the very end.
let closing = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (closing) {
      if (signal === 'SIGINT') process.exit(130);
      return;
    }
    closing = true;
    worker
      .close()
      .then(() => health?.close())
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  });
}
