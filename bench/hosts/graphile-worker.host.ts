import { Logger, makeWorkerUtils, run, type Runner, type WorkerUtils } from 'graphile-worker';
import { createCompletions, jobIds } from '../lib/completions';
import { wallMs } from '../lib/probe';
import type { HostRole } from './host';

type Args = { role: 'worker' | 'producer'; databaseUrl: string; schema: string; concurrency: number };

/** Warnings and errors only, as Jobflow runs in the bench (the default logs a line per job). */
const logger = new Logger(() => (level, message) => {
  if (level === 'error' || level === 'warning') process.stderr.write(`graphile-worker ${level}: ${message}\n`);
});

/**
 * graphile-worker as a peer of the `runs` benchmark: the worker role runs a
 * no-op task at the given concurrency (pool as large, LISTEN/NOTIFY, the
 * library's defaults otherwise); the producer role adds jobs in bulk with
 * `addJobs`. Both use their own schema in the bench database.
 */
export async function start(args: Args): Promise<HostRole> {
  const options = { connectionString: args.databaseUrl, schema: args.schema, logger, maxPoolSize: args.concurrency, noHandleSignals: true };
  if (args.role === 'worker') {
    const completions = createCompletions();
    const runner: Runner = await run({
      ...options,
      concurrency: args.concurrency,
      taskList: { noop: async (payload) => completions.record((payload as { id: string }).id) },
    });
    return {
      info: { pid: process.pid },
      commands: {
        reset: (a: { tag: string }) => completions.reset(a.tag),
        wait: (a: { count: number; timeoutMs: number }) => completions.wait(a.count, a.timeoutMs),
      },
      close: () => runner.stop(),
    };
  }
  const utils: WorkerUtils = await makeWorkerUtils(options);
  await utils.migrate();
  return {
    info: { pid: process.pid },
    commands: {
      /** Adds the repeat's jobs, `bulk` per `addJobs` call, one call after the other. */
      add: async (a: { tag: string; count: number; bulk: number }) => {
        const t0 = wallMs();
        const ids = jobIds(a.tag, a.count);
        let added = 0;
        for (let i = 0; i < ids.length; i += a.bulk) {
          added += (await utils.addJobs(ids.slice(i, i + a.bulk).map((id) => ({ identifier: 'noop', payload: { id } })))).length;
        }
        return { added, ms: wallMs() - t0 };
      },
    },
    close: async () => utils.release(),
  };
}
