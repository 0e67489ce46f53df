import type { WorkerDto } from '@jobflow/shared';
import { defineStatement, iso, type Sql, type Timestamp } from '../db';

interface WorkerRow {
  id: string;
  name: string;
  host: string;
  pid: number;
  version: string;
  concurrency: number;
  heartbeat_ms: number;
  started_at: Timestamp;
  heartbeat_at: Timestamp;
  stopped_at: Timestamp | null;
  is_draining: boolean;
  is_lost: boolean;
  runs: { id: string; jobId: string; jobName: string; attempt: number; startedAt: string | null }[];
}

/**
 * What each statement returns of a worker (`w`): its registration, whether
 * it is lost (no heartbeat within three of its intervals, by the database's
 * clock, so the clocks of the processes never matter) and the runs it holds.
 */
const WORKER_COLUMNS = `w.id, w.name, w.host, w.pid, w.version, w.concurrency, w.heartbeat_ms, w.started_at, w.heartbeat_at, w.stopped_at, w.is_draining,
  w.heartbeat_at < now() - w.heartbeat_ms * 3 * interval '1 millisecond' as is_lost,
  coalesce((select json_agg(json_build_object('id', r.id, 'jobId', r.job_id, 'jobName', j.name, 'attempt', r.attempt, 'startedAt', r.started_at)
                            order by r.started_at, r.id)
              from runs r join jobs j on j.id = r.job_id
             where r.status = 'running' and r.worker_id = w.id), '[]'::json) as runs`;

/** How long a lost worker stays listed, and a stopped one stays stored (a restart with its id keeps its drain). */
const LOST_LISTED = `interval '1 day'`;
const STOPPED_KEPT = `interval '7 days'`;

export interface WorkerIdentity {
  id: string;
  name: string;
  host: string;
  pid: number;
  version: string;
  concurrency: number;
  heartbeatMs: number;
}

const registerStatement = defineStatement<
  WorkerRow,
  [id: string, name: string, host: string, pid: number, version: string, concurrency: number, heartbeatMs: number]
>(
  'register_worker',
  `insert into workers as w (id, name, host, pid, version, concurrency, heartbeat_ms) values ($1, $2, $3, $4, $5, $6, $7)
   on conflict (id) do update
     set name = excluded.name, host = excluded.host, pid = excluded.pid, version = excluded.version, concurrency = excluded.concurrency,
         heartbeat_ms = excluded.heartbeat_ms, started_at = now(), heartbeat_at = now(), lost_at = null, stopped_at = null
   returning ${WORKER_COLUMNS}`,
);

const beatStatement = defineStatement<WorkerRow & { was_lost: boolean }, [id: string]>(
  'beat_worker',
  `update workers as w set heartbeat_at = now(), lost_at = null
     from (select id, lost_at is not null as was_lost from workers where id = $1 and stopped_at is null for update) as before
    where w.id = before.id
   returning ${WORKER_COLUMNS}, before.was_lost`,
);

const setDrainingStatement = defineStatement<WorkerRow & { was_draining: boolean }, [id: string, isDraining: boolean]>(
  'set_worker_draining',
  `update workers as w set is_draining = $2
     from (select id, is_draining as was_draining from workers where id = $1 and stopped_at is null for update) as before
    where w.id = before.id
   returning ${WORKER_COLUMNS}, before.was_draining`,
);

const stopStatement = defineStatement<WorkerRow, [id: string]>(
  'stop_worker',
  `update workers as w set stopped_at = now() where id = $1 and stopped_at is null returning ${WORKER_COLUMNS}`,
);

const listStatement = defineStatement<WorkerRow, []>(
  'list_workers',
  `select ${WORKER_COLUMNS} from workers w
    where w.stopped_at is null and w.heartbeat_at > now() - ${LOST_LISTED}
    order by w.name, w.id`,
);

const getStatement = defineStatement<WorkerRow, [id: string]>('get_worker', `select ${WORKER_COLUMNS} from workers w where w.id = $1 and w.stopped_at is null`);

const markLostStatement = defineStatement<WorkerRow, []>(
  'mark_workers_lost',
  `update workers as w set lost_at = now()
    where w.stopped_at is null and w.lost_at is null and w.heartbeat_at < now() - w.heartbeat_ms * 3 * interval '1 millisecond'
   returning ${WORKER_COLUMNS}`,
);

const pruneStatement = defineStatement<Record<string, never>, []>(
  'prune_workers',
  `delete from workers where stopped_at < now() - ${STOPPED_KEPT} or heartbeat_at < now() - ${STOPPED_KEPT}`,
);

export const toWorkerDto = (r: WorkerRow): WorkerDto => ({
  id: r.id,
  name: r.name,
  host: r.host,
  pid: r.pid,
  version: r.version,
  concurrency: r.concurrency,
  state: r.is_lost ? 'lost' : r.is_draining ? 'draining' : 'active',
  isDraining: r.is_draining,
  startedAt: iso(r.started_at)!,
  lastHeartbeatAt: iso(r.heartbeat_at)!,
  heartbeatMs: r.heartbeat_ms,
  stoppedAt: iso(r.stopped_at),
  runs: r.runs.map((run) => ({ ...run, startedAt: iso(run.startedAt) })),
});

/**
 * The `workers` table: each worker process registers itself, beats, and
 * marks itself stopped; admins set `is_draining`; any process may mark the
 * workers whose heartbeats stopped as lost (once each, so it is announced
 * once).
 */
export const workerStore = {
  /** Registers (or re-registers after a restart with the same id) a worker; an earlier drain request stays. */
  async register(sql: Sql, w: WorkerIdentity): Promise<WorkerDto> {
    const [row] = await sql(registerStatement, [w.id, w.name, w.host, w.pid, w.version, w.concurrency, w.heartbeatMs]);
    return toWorkerDto(row!);
  },

  /** A heartbeat: the worker as stored now (with the drain it is asked for), or null when its row is gone or stopped. */
  async beat(sql: Sql, id: string): Promise<{ worker: WorkerDto; wasLost: boolean } | null> {
    const [row] = await sql(beatStatement, [id]);
    return row ? { worker: toWorkerDto(row), wasLost: row.was_lost } : null;
  },

  /** Asks a worker to drain (or to take runs again); null when no such worker is registered. */
  async setDraining(sql: Sql, id: string, isDraining: boolean): Promise<{ worker: WorkerDto; wasDraining: boolean } | null> {
    const [row] = await sql(setDrainingStatement, [id, isDraining]);
    return row ? { worker: toWorkerDto(row), wasDraining: row.was_draining } : null;
  },

  /** The worker stopped on purpose: no longer listed (its drain request is kept for a restart with the same id). */
  async stop(sql: Sql, id: string): Promise<WorkerDto | null> {
    const [row] = await sql(stopStatement, [id]);
    return row ? toWorkerDto(row) : null;
  },

  /** Every worker running now, and those lost within the last day. */
  async list(sql: Sql): Promise<WorkerDto[]> {
    return (await sql(listStatement, [])).map(toWorkerDto);
  },

  async get(sql: Sql, id: string): Promise<WorkerDto | null> {
    const [row] = await sql(getStatement, [id]);
    return row ? toWorkerDto(row) : null;
  },

  /** Workers whose heartbeats just stopped, each returned once; rows stopped or silent for a week are removed. */
  async markLost(sql: Sql): Promise<WorkerDto[]> {
    await sql(pruneStatement, []);
    return (await sql(markLostStatement, [])).map(toWorkerDto);
  },
};
