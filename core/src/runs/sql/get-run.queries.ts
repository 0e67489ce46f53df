import { defineStatement, type Sql } from '../../db';
import type { RunRow } from '../run-row';
import { JOB_COLUMNS } from './fragments';

const getRunStatement = defineStatement<RunRow, [runId: string]>(
  'get_run',
  `select r.*, ${JOB_COLUMNS} from runs r join jobs j on j.id = r.job_id where r.id = $1`,
);

const runExistsStatement = defineStatement<{ found: number }, [runId: string]>('run_exists', `select 1 as found from runs where id = $1`);

/** The run with its job's columns, or null. */
export async function getRun(sql: Sql, runId: string): Promise<RunRow | null> {
  return (await sql(getRunStatement, [runId]))[0] ?? null;
}

export async function runExists(sql: Sql, runId: string): Promise<boolean> {
  return (await sql(runExistsStatement, [runId])).length > 0;
}
