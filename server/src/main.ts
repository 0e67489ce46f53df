import { preflight, startOrExplain } from '@jobflow/core/platform';
import { createApp } from './app';
import { loadServerConfig } from './config';

const config = loadServerConfig(process.env);
await preflight(config);
const app = await startOrExplain(config, () => createApp(config));
process.stderr.write(
  `Jobflow server listening on ${app.url.replace('127.0.0.1', config.host === '0.0.0.0' ? 'localhost' : config.host)} (UI /, API /api, docs /api/docs)\n`,
);

let closing = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (closing) return;
    closing = true;
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
