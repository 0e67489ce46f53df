import type { Db } from '@jobflow/core/db';
import type { LivePublisher } from '@jobflow/core/live';
import { createRedis, type Logger, type Metrics } from '@jobflow/core/platform';
import type { RunEngine } from '@jobflow/core/runs';
import { createScheduler, scheduleChangedChannel } from '@jobflow/core/schedules';
import type { Sweeper } from '@jobflow/core/sweeps';
import type { WorkerConfig } from '../config';

/**
 * Runs the scheduler in this worker while it holds the `schedules` sweep
 * lease (one worker of the install at a time; the due-time key would keep two
 * from starting a run twice anyway) and wakes it when a job changes.
 */
export async function startScheduler(deps: {
  config: WorkerConfig;
  db: Db;
  runs: RunEngine;
  live: LivePublisher;
  log: Logger;
  metrics: Metrics;
  sweeper: Sweeper;
}): Promise<{ stop(): Promise<void> }> {
  const { config, log } = deps;
  if (!config.scheduler.isEnabled) return { stop: async () => {} };
  // Taking the lease wakes the scheduler, which looks at once.
  const isTurn = deps.sweeper.hold('schedules', () => scheduler.nudge());
  const scheduler = createScheduler({
    db: deps.db,
    runs: deps.runs,
    live: deps.live,
    log,
    isTurn,
    options: { graceMs: config.scheduler.graceMs, maxSleepMs: config.scheduler.maxSleepMs, historyDays: config.scheduler.historyDays },
  });
  const subscriber = createRedis(config.redisConnection);
  subscriber.on('error', deps.metrics.redisErrored);
  subscriber.on('message', () => scheduler.nudge());
  // Subscribed before the first look, so no change made after that look goes unheard.
  await subscriber.subscribe(scheduleChangedChannel(config.redisPrefix));
  scheduler.start();
  return {
    async stop() {
      await scheduler.stop();
      subscriber.disconnect();
    },
  };
}
