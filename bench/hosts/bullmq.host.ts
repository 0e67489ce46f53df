import { Queue, Worker } from 'bullmq';
import { createCompletions, jobIds } from '../lib/completions';
import { wallMs } from '../lib/probe';
import type { HostRole } from './host';

type Args = { role: 'worker' | 'producer'; redisUrl: string; prefix: string; queue: string; concurrency: number };

/**
 * BullMQ as a peer of the `runs` benchmark: the worker role runs a no-op
 * processor at the given concurrency (BullMQ's defaults otherwise: completed
 * jobs are kept); the producer role adds jobs in bulk with `addBulk`. Both use
 * their own key prefix in the bench's Redis.
 */
export async function start(args: Args): Promise<HostRole> {
  const connection = { url: args.redisUrl, maxRetriesPerRequest: null };
  if (args.role === 'worker') {
    const completions = createCompletions();
    const worker = new Worker<{ id: string }>(args.queue, async (job) => completions.record(job.data.id), {
      connection,
      prefix: args.prefix,
      concurrency: args.concurrency,
    });
    worker.on('error', (e) => process.stderr.write(`bullmq worker error: ${e.stack ?? e}\n`));
    await worker.waitUntilReady();
    return {
      info: { pid: process.pid },
      commands: {
        reset: (a: { tag: string }) => completions.reset(a.tag),
        wait: (a: { count: number; timeoutMs: number }) => completions.wait(a.count, a.timeoutMs),
      },
      close: () => worker.close(),
    };
  }
  const queue = new Queue(args.queue, { connection, prefix: args.prefix });
  await queue.waitUntilReady();
  return {
    info: { pid: process.pid },
    commands: {
      /** Adds the repeat's jobs, `bulk` per `addBulk` call, one call after the other. */
      add: async (a: { tag: string; count: number; bulk: number }) => {
        const t0 = wallMs();
        const ids = jobIds(a.tag, a.count);
        let added = 0;
        for (let i = 0; i < ids.length; i += a.bulk)
          added += (await queue.addBulk(ids.slice(i, i + a.bulk).map((id) => ({ name: 'noop', data: { id } })))).length;
        return { added, ms: wallMs() - t0 };
      },
      /** The queue's job counts by state, from BullMQ's own bookkeeping. */
      counts: () => queue.getJobCounts('completed', 'failed', 'active', 'wait', 'delayed', 'prioritized', 'waiting-children'),
      /** Removes the completed jobs (between repeats). */
      clean: async () => (await queue.clean(0, 0, 'completed')).length,
    },
    close: () => queue.close(),
  };
}
