import type { ArtifactDto } from '@jobflow/shared';
import { defineStatement, type Sql } from '../db';

/** Where an artifact's content is: chunk rows in PostgreSQL, or an object in the S3 bucket. */
export type ArtifactStoreKind = 'postgres' | 's3';

/** An artifact as stored: what the API shows, and where its content is. */
export interface ArtifactRow extends ArtifactDto {
  store: ArtifactStoreKind;
  objectKey: string | null;
}

const COLUMNS = `name, size::float8 as size, content_type as "contentType",
  to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "createdAt", store, object_key as "objectKey"`;

/** What decides whether a run may attach `name` now: its current attempt and status, the bytes it holds, and whether the name is taken. */
export interface AttachState {
  attempt: number;
  status: string;
  runBytes: number;
  isTaken: boolean;
}

const attachStateStatement = defineStatement<AttachState, [runId: string, name: string]>(
  'artifact_attach_state',
  `select r.attempt, r.status,
     coalesce((select sum(a.size) from run_artifacts a where a.run_id = r.id), 0)::float8 as "runBytes",
     exists (select 1 from run_artifacts a where a.run_id = r.id and a.name = $2) as "isTaken"
   from runs r where r.id = $1`,
);

/** Fenced like every write of an attempt: nothing is stored unless `(run, attempt)` is current and running. */
const insertStatement = defineStatement<
  ArtifactRow,
  [runId: string, attempt: number, name: string, size: number, contentType: string, store: ArtifactStoreKind, objectKey: string | null]
>(
  'artifact_insert',
  `insert into run_artifacts (run_id, name, size, content_type, store, object_key)
   select r.id, $3, $4, $5, $6, $7 from runs r where r.id = $1 and r.attempt = $2 and r.status = 'running'
   on conflict (run_id, name) do nothing
   returning ${COLUMNS}`,
);

const setSizeStatement = defineStatement<ArtifactRow, [runId: string, name: string, size: number]>(
  'artifact_set_size',
  `update run_artifacts set size = $3 where run_id = $1 and name = $2 returning ${COLUMNS}`,
);

const insertChunkStatement = defineStatement<Record<string, never>, [runId: string, name: string, idx: number, data: Buffer]>(
  'artifact_chunk_insert',
  `insert into artifact_chunks (run_id, name, idx, data) values ($1, $2, $3, $4)`,
);

const readChunkStatement = defineStatement<{ data: Buffer }, [runId: string, name: string, idx: number, from: number, count: number]>(
  'artifact_chunk_read',
  `select substring(data from $4 for $5) as data from artifact_chunks where run_id = $1 and name = $2 and idx = $3`,
);

const listStatement = defineStatement<ArtifactRow, [runId: string]>(
  'artifacts_of_run',
  `select ${COLUMNS} from run_artifacts where run_id = $1 order by created_at, name`,
);

const findStatement = defineStatement<ArtifactRow, [runId: string, name: string]>(
  'artifact_find',
  `select ${COLUMNS} from run_artifacts where run_id = $1 and name = $2`,
);

const queuedDeletionsStatement = defineStatement<{ objectKey: string }, [after: string, limit: number]>(
  'artifact_object_deletions_after',
  `select object_key as "objectKey" from artifact_object_deletions where object_key > $1 order by object_key limit $2`,
);

const queueDeletionsStatement = defineStatement<Record<string, never>, [objectKeys: string[]]>(
  'artifact_object_deletions_queue',
  `insert into artifact_object_deletions (object_key) select unnest($1::text[]) on conflict (object_key) do nothing`,
);

const deletionsDoneStatement = defineStatement<Record<string, never>, [objectKeys: string[]]>(
  'artifact_object_deletions_done',
  `delete from artifact_object_deletions where object_key = any($1::text[])`,
);

const deletionsFailedStatement = defineStatement<Record<string, never>, [objectKeys: string[], error: string]>(
  'artifact_object_deletions_failed',
  `update artifact_object_deletions set failures = failures + 1, last_error = left($2, 1000) where object_key = any($1::text[])`,
);

export const artifactQueries = {
  attachState: async (sql: Sql, runId: string, name: string): Promise<AttachState | null> => (await sql(attachStateStatement, [runId, name]))[0] ?? null,
  insert: async (
    sql: Sql,
    a: { runId: string; attempt: number; name: string; size: number; contentType: string; store: ArtifactStoreKind; objectKey: string | null },
  ): Promise<ArtifactRow | null> => (await sql(insertStatement, [a.runId, a.attempt, a.name, a.size, a.contentType, a.store, a.objectKey]))[0] ?? null,
  setSize: async (sql: Sql, runId: string, name: string, size: number): Promise<ArtifactRow> => (await sql(setSizeStatement, [runId, name, size]))[0]!,
  insertChunk: (sql: Sql, runId: string, name: string, idx: number, data: Buffer) => sql(insertChunkStatement, [runId, name, idx, data]),
  /** `count` bytes of chunk `idx` from its byte `from` (0-based). */
  readChunk: async (sql: Sql, runId: string, name: string, idx: number, from: number, count: number): Promise<Buffer | null> =>
    (await sql(readChunkStatement, [runId, name, idx, from + 1, count]))[0]?.data ?? null,
  list: (sql: Sql, runId: string) => sql(listStatement, [runId]),
  find: async (sql: Sql, runId: string, name: string): Promise<ArtifactRow | null> => (await sql(findStatement, [runId, name]))[0] ?? null,
  /** Up to `limit` keys waiting to be deleted from the bucket, in key order after `after`. */
  queuedDeletions: async (sql: Sql, after: string, limit: number) => (await sql(queuedDeletionsStatement, [after, limit])).map((r) => r.objectKey),
  /** Queues bucket objects for deletion (those no row points at: the trigger on `run_artifacts` queues the others). */
  queueDeletions: (sql: Sql, objectKeys: string[]) => sql(queueDeletionsStatement, [objectKeys]),
  deletionsDone: (sql: Sql, objectKeys: string[]) => sql(deletionsDoneStatement, [objectKeys]),
  deletionsFailed: (sql: Sql, objectKeys: string[], error: string) => sql(deletionsFailedStatement, [objectKeys, error]),
};
