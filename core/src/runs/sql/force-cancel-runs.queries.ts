import { defineStatement, type Sql } from '../../db';
import type { RunRow } from '../run-row';
import { transitionWithLine } from './fragments';

const CANCELLED = `status = 'cancelled', finished_at = now(), error_code = 'cancelled', error_message = $1, worker_id = null`;
const OVERDUE = `status = 'running' and cancel_requested_at <= now() - $2 * interval '1 millisecond'`;

const forceCancelRunStatement = defineStatement<RunRow, [message: string, graceMs: number, runId: string]>(
  'force_cancel_run',
  transitionWithLine(CANCELLED, `${OVERDUE} and id = $3`, '$1'),
);

const forceOverdueStatement = defineStatement<RunRow, [message: string, graceMs: number]>(
  'force_cancel_overdue_runs',
  transitionWithLine(CANCELLED, OVERDUE, '$1'),
);

/**
 * running -> cancelled without the worker, for runs whose cancel was
 * requested `graceMs` or more ago and their worker has not carried out: any
 * later write of that attempt is refused. `runId` narrows it to one run.
 * The rows changed, each with its system line (`message`).
 */
export async function forceCancelRuns(sql: Sql, message: string, graceMs: number, runId?: string): Promise<RunRow[]> {
  return runId === undefined ? sql(forceOverdueStatement, [message, graceMs]) : sql(forceCancelRunStatement, [message, graceMs, runId]);
}
