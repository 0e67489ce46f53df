import { preflight, startOrExplain } from '@jobflow/core/platform';
import { createApp } from './app';
import { loadServerConfig } from './config';

const config = loadServerConfig(process.env);
await preflight(config);
const app = await startOrExplain(config, () => createApp(config));
const { log } = app.deps;
log.info(`Jobflow server listening on ${app.url.replace('127.0.0.1', config.host === '0.0.0.0' ? 'localhost' : config.host)} (UI /, API /api, docs /api/docs)`);

// On a signal, readiness fails at once while requests are still served for
// SHUTDOWN_DELAY_MS (load balancers notice and stop sending), then the server
// closes. A second Ctrl-C does not wait.
let closing = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (closing) {
      if (signal === 'SIGINT') process.exit(130);
      return;
    }
    closing = true;
    app.drain();
    log.info(`${signal}: not ready any more; closing in ${config.shutdownDelayMs} ms`);
    setTimeout(() => {
      app.close().then(
        () => process.exit(0),
        (error) => {
          log.error('shutdown failed', { error });
          process.exit(1);
        },
      );
    }, config.shutdownDelayMs);
  });
}
