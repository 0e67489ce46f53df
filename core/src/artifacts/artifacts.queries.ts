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

const objectKeysStatement = defineStatement<{ objectKey: string }, [runIds: string[]]>(
  'artifact_object_keys_of_runs',
  `select object_key as "objectKey" from run_artifacts where run_id = any($1::uuid[]) and object_key is not null`,
);

// Chunk rows go with their artifact (on delete cascade).
const deleteStatement = defineStatement<{ count: number }, [runIds: string[]]>(
  'artifacts_delete_of_runs',
  `with gone as (delete from run_artifacts where run_id = any($1::uuid[]) returning 1) select count(*)::int as count from gone`,
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
  objectKeysOf: async (sql: Sql, runIds: string[]) => (await sql(objectKeysStatement, [runIds])).map((r) => r.objectKey),
  deleteOf: async (sql: Sql, runIds: string[]) => (await sql(deleteStatement, [runIds]))[0]?.count ?? 0,
};
