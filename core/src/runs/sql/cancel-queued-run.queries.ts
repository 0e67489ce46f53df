import { defineStatement, type Sql } from '../../db';
import type { RunRow } from '../run-row';
import { transitionWithLine } from './fragments';

const cancelQueuedStatement = defineStatement<RunRow, [runId: string, message: string]>(
  'cancel_queued_run',
  transitionWithLine(
    `status = 'cancelled', finished_at = now(), error_code = 'cancelled', error_message = $2, not_before = null`,
    `id = $1 and status = 'queued'`,
    '$2',
  ),
);

/** queued -> cancelled at once, with `message` as its error and system line. Null when the run is not queued. */
export async function cancelQueuedRun(sql: Sql, runId: string, message: string): Promise<RunRow | null> {
  return (await sql(cancelQueuedStatement, [runId, message]))[0] ?? null;
}
