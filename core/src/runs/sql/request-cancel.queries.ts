import { defineStatement, type Sql } from '../../db';
import type { RunRow } from '../run-row';
import { withJob } from './fragments';

const requestCancelStatement = defineStatement<RunRow, [runId: string]>(
  'request_cancel',
  withJob(`update runs set cancel_requested_at = coalesce(cancel_requested_at, now()) where id = $1 and status = 'running' returning *`),
);

/**
 * Marks a running run for cancellation: the time its grace period counts
 * from (not a change of its public state, so no new version). Null when the
 * run is not running.
 */
export async function requestCancel(sql: Sql, runId: string): Promise<RunRow | null> {
  return (await sql(requestCancelStatement, [runId]))[0] ?? null;
}
