import type Koa from 'koa';
import { ApiError, type WorkerDto } from '@jobflow/shared';
import { sendWorkerControl, workerStore } from '@jobflow/core/workers';
import type { RouteHandlers } from '../http/api-router';
import type { AuditLog } from '../audit/audit.store';
import type { AppDeps } from '../deps';

/** What a worker id can look like (`WORKER_ID`, or host, pid and a random suffix); anything else names no worker. */
const WORKER_ID = /^[A-Za-z0-9_.:-]{1,200}$/;

/**
 * The worker registry as the API shows it: `GET /api/workers` (signed in),
 * and `POST /api/workers/:id/drain` and `/resume` (admins). A drain request
 * is stored, announced as `worker:updated` and sent to the worker at once;
 * the worker finishes the runs it holds and takes no new one until resumed.
 */
export function workersHandlers(
  deps: Pick<AppDeps, 'db' | 'redis' | 'live' | 'config'>,
  audit: AuditLog,
): Pick<RouteHandlers, 'listWorkers' | 'drainWorker' | 'resumeWorker'> {
  const setDraining = async (ctx: Koa.Context, id: string, isDraining: boolean): Promise<WorkerDto> => {
    const changed = WORKER_ID.test(id) ? await workerStore.setDraining(deps.db.sql, id, isDraining) : null;
    if (!changed) throw new ApiError('not_found', 'No such worker.');
    const worker: WorkerDto = changed.worker;
    if (changed.wasDraining !== isDraining) {
      deps.live.workerUpdated(worker);
      await sendWorkerControl(deps.redis, deps.config.redisPrefix, { workerId: worker.id, isDraining }).catch(() => {
        // Stored already: the worker reads it with its next heartbeat.
      });
      await audit.recordRequest(
        ctx,
        isDraining ? 'worker.drained' : 'worker.resumed',
        { type: 'worker', id: worker.id },
        { name: worker.name, isDraining: { before: changed.wasDraining, after: isDraining } },
      );
    }
    return worker;
  };
  return {
    listWorkers: async () => ({ items: await workerStore.list(deps.db.sql) }),
    drainWorker: (ctx, { params }) => setDraining(ctx, params.id, true),
    resumeWorker: (ctx, { params }) => setDraining(ctx, params.id, false),
  };
}
