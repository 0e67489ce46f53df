import PgBoss from 'pg-boss';
import { createCompletions, jobIds } from '../lib/completions';
import { pool } from '../lib/http';
import { wallMs } from '../lib/probe';
import type { HostRole } from './host';

type Args = { role: 'worker' | 'producer'; databaseUrl: string; schema: string; queue: string; concurrency: number; batchSize: number };

/**
 * pg-boss as a peer of the `runs` benchmark. The worker role runs one
 * `work()` loop fetching `batchSize` jobs at a time at pg-boss's shortest
 * polling interval (0.5 s) and runs each batch's no-op handlers at most
 * `concurrency` at once (pg-boss 10 leaves concurrency to the handler; the
 * batch is completed in one statement). The producer role, a send-only
 * instance (no maintenance, no cron), adds jobs in bulk with `insert`. Both
 * use their own schema in the bench database.
 */
export async function start(args: Args): Promise<HostRole> {
  const isWorker = args.role === 'worker';
  const boss = new PgBoss({
    connectionString: args.databaseUrl,
    schema: args.schema,
    ...(isWorker ? {} : { supervise: false, schedule: false, migrate: false }),
  });
  boss.on('error', (e) => process.stderr.write(`pg-boss error: ${e.stack ?? e}\n`));
  await boss.start();
  if (isWorker) {
    const completions = createCompletions();
    await boss.createQueue(args.queue);
    await boss.work<{ id: string }>(args.queue, { batchSize: args.batchSize, pollingIntervalSeconds: 0.5 }, async (jobs) => {
      await pool(jobs.length, args.concurrency, async (i) => completions.record(jobs[i]!.data.id));
    });
    return {
      info: { pid: process.pid },
      commands: {
        reset: (a: { tag: string }) => completions.reset(a.tag),
        wait: (a: { count: number; timeoutMs: number }) => completions.wait(a.count, a.timeoutMs),
      },
      close: () => boss.stop({ graceful: true, wait: true, timeout: 10_000 }),
    };
  }
  return {
    info: { pid: process.pid },
    commands: {
      /** Adds the repeat's jobs, `bulk` per `insert` call, one call after the other. */
      add: async (a: { tag: string; count: number; bulk: number }) => {
        const t0 = wallMs();
        const ids = jobIds(a.tag, a.count);
        for (let i = 0; i < ids.length; i += a.bulk) await boss.insert(ids.slice(i, i + a.bulk).map((id) => ({ name: args.queue, data: { id } })));
        // pg-boss 10's insert reports nothing back: the driver counts the stored rows instead.
        return { added: null, ms: wallMs() - t0 };
      },
    },
    close: () => boss.stop({ graceful: true, wait: true, timeout: 10_000 }),
  };
}
