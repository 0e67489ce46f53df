import { createWorker, loadWorkerConfig } from '@jobflow/worker';
import type { HostRole } from './host';

/** A Jobflow worker exactly as `createWorker` builds it. */
export async function start(args: { env: Record<string, string> }): Promise<HostRole> {
  const worker = await createWorker(loadWorkerConfig(args.env));
  return {
    info: { workerId: worker.workerId },
    commands: {},
    close: () => worker.close(),
  };
}
