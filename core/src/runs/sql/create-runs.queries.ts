import { randomUUID } from 'node:crypto';
import { jobTypeInfos } from '@jobflow/shared';
import { defineStatement, type Sql } from '../../db';
import type { NewRun, RunRow } from '../run-row';
import { recordset, withJob } from './fragments';

/** Job types this build knows: a run is stored only for a job of one of them. */
const KNOWN_TYPES = JSON.stringify(Object.keys(jobTypeInfos));

const createRunsStatement = defineStatement<RunRow, [runs: string, knownTypes: string]>(
  'create_runs',
  withJob(`insert into runs (id, job_id, status, params, max_attempts, timeout_sec, trigger_kind, trigger_user_id, rerun_of)
           select t.id, j.id, 'queued', coalesce(t.params, j.params), coalesce(t.max_attempts, j.max_attempts),
                  case when t.has_timeout then t.timeout_sec else j.timeout_sec end, t.trigger_kind, t.trigger_user_id, t.rerun_of
           from json_to_recordset($1::json) as t(id uuid, job_id uuid, params jsonb, max_attempts int, timeout_sec int, has_timeout boolean,
                                                 trigger_kind text, trigger_user_id uuid, rerun_of uuid)
           join jobs j on j.id = t.job_id
           where j.enabled and j.type in (select json_array_elements_text($2::json))
           returning *`),
);

/**
 * Stores new queued runs in one statement, each with its job's defaults
 * where `NewRun` leaves them out. Returns one row per input, in order; null
 * where the job does not exist, is disabled, or is of a type this build lacks.
 */
export async function createRuns(sql: Sql, runs: NewRun[]): Promise<(RunRow | null)[]> {
  const input = runs.map((r) => ({
    id: r.id ?? randomUUID(),
    job_id: r.jobId,
    params: r.params ?? null,
    max_attempts: r.maxAttempts ?? null,
    timeout_sec: r.timeoutSec ?? null,
    has_timeout: r.timeoutSec !== undefined,
    trigger_kind: r.trigger.kind,
    trigger_user_id: r.trigger.userId,
    rerun_of: r.trigger.rerunOf ?? null,
  }));
  const rows = await sql(createRunsStatement, [recordset(input), KNOWN_TYPES]);
  const byId = new Map(rows.map((r) => [r.id, r]));
  return input.map((r) => byId.get(r.id) ?? null);
}
