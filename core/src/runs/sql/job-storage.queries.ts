import { defineStatement, type Sql } from '../../db';

/** What a job's runs hold in the database. */
export interface JobStorageRow {
  runs: number;
  lines: number;
  /** Bytes of line text (UTF-8). */
  bytes: number;
}

const jobStorageStatement = defineStatement<{ runs: string; lines: string; bytes: string }, [jobId: string]>(
  'job_storage',
  `select (select count(*) from runs where job_id = $1) as runs,
          (select coalesce(sum(log_count), 0) from runs where job_id = $1) as lines,
          (select coalesce(sum(octet_length(l.text)), 0) from runs r join run_logs l on l.run_id = r.id where r.job_id = $1) as bytes`,
);

/** Runs, stored lines and their bytes of one job (the bytes are summed over its lines: a read proportional to them). */
export async function readJobStorage(sql: Sql, jobId: string): Promise<JobStorageRow> {
  const [row] = await sql(jobStorageStatement, [jobId]);
  return { runs: Number(row?.runs ?? 0), lines: Number(row?.lines ?? 0), bytes: Number(row?.bytes ?? 0) };
}
