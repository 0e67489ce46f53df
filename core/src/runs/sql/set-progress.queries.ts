import { defineStatement, type Sql } from '../../db';
import type { RunRow } from '../run-row';
import { withJob } from './fragments';

const setProgressStatement = defineStatement<RunRow, [progress: number, runId: string, attempt: number]>(
  'set_progress',
  withJob(`update runs set progress = $1, version = version + 1
           where id = $2 and attempt = $3 and status = 'running' and progress is distinct from $1 returning *`),
);

/** Stores the progress of the current attempt; null when it is not current or the value did not change. */
export async function setProgress(sql: Sql, runId: string, attempt: number, progress: number): Promise<RunRow | null> {
  return (await sql(setProgressStatement, [progress, runId, attempt]))[0] ?? null;
}
