import { preflight, startOrExplain } from '@jobflow/core/platform';
import { loadWorkerConfig } from './config';
import { createWorker } from './worker';

const config = loadWorkerConfig(process.env);
await preflight(config);
const worker = await startOrExplain(config, () => createWorker(config));

let closing = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (closing) return;
    closing = true;
    worker.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
