import type { RunEngine } from '@jobflow/core/runs';
import type { RouteHandlers } from '../http/api-router';

/** Jobs listed per queue answer at most (those whose oldest waiting run has waited longest). */
const MAX_JOBS = 50;

/** `GET /api/queue` (signed in): runs waiting in the queue now, in all and per job, with the oldest one's queue time. */
export function queueHandlers(runs: RunEngine): Pick<RouteHandlers, 'queue'> {
  return { queue: () => runs.queueDepth(MAX_JOBS) };
}
