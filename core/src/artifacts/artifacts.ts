import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { artifactContentType, artifactNameProblem, type ArtifactDto } from '@jobflow/shared';
import type { Db } from '../db';
import type { LivePublisher } from '../live';
import { ArtifactRefusedError } from './artifact-errors';
import { artifactQueries, type ArtifactRow, type ArtifactStoreKind } from './artifacts.queries';
import { readChunks, writeChunks } from './postgres.content';
import { createS3Content, type S3Content, type S3Options } from './s3.content';

/** Where new artifacts go and how big they may be (ARTIFACTS_STORE, S3_*, ARTIFACT_MAX_BYTES, ARTIFACT_MAX_RUN_BYTES). */
export interface ArtifactsOptions {
  store: ArtifactStoreKind;
  /** Required when `store` is `s3`. */
  s3?: S3Options;
  /** The largest file, in bytes. */
  maxBytes: number;
  /** The most bytes one run's artifacts may hold together. */
  maxRunBytes: number;
}

/** What `attach` takes as content: a Node.js stream, any async iterable of bytes (a web ReadableStream too), or bytes and text in memory. */
export type ArtifactBody = Readable | AsyncIterable<Uint8Array> | Uint8Array | string;

/** An attach request from the attempt that makes it; every write is fenced to `(runId, attempt)`. */
export interface AttachRequest {
  runId: string;
  attempt: number;
  name: string;
  body: ArtifactBody;
  contentType?: string;
}

/** The bytes of an artifact being read: `start` to `end` inclusive. */
export interface ArtifactRead {
  artifact: ArtifactRow;
  body: Readable;
}

/**
 * The one owner of `run_artifacts` and `artifact_chunks`, and of the objects
 * in the S3 bucket: attaching (streamed, under the size limits, fenced to the
 * attempt, announced as `artifact:added` once stored), listing, reading (by
 * byte range) and deleting a run's artifacts.
 */
export interface Artifacts {
  /** Stores a file for the run's current attempt; throws ArtifactRefusedError (nothing stored) when it cannot. */
  attach(request: AttachRequest): Promise<ArtifactDto>;
  list(runId: string): Promise<ArtifactDto[]>;
  find(runId: string, name: string): Promise<ArtifactRow | null>;
  /** Bytes `start` to `end` (inclusive, within the size) of a found artifact, streamed as the reader asks. */
  read(artifact: ArtifactRow, runId: string, start: number, end: number): Promise<Readable>;
  /**
   * Deletes every artifact of these runs, content first (bucket objects),
   * then the rows (chunk rows go with them); returns how many artifacts went.
   * Call it before deleting the runs themselves: a run deleted first leaves its
   * bucket objects behind.
   */
  deleteOfRuns(runIds: readonly string[]): Promise<number>;
  close(): void;
}

/** Public DTO of a stored row. */
export const toArtifactDto = (row: ArtifactRow): ArtifactDto => ({ name: row.name, size: row.size, contentType: row.contentType, createdAt: row.createdAt });

const asBytes = (piece: unknown): Uint8Array => (typeof piece === 'string' ? Buffer.from(piece) : (piece as Uint8Array));

/** `body` as bytes, failing with `too_large` as soon as it passes `limit` (so reading stops there). */
async function* limited(body: ArtifactBody, limit: number, tooLarge: () => ArtifactRefusedError): AsyncGenerator<Uint8Array> {
  const source: AsyncIterable<unknown> | Iterable<Uint8Array> = typeof body === 'string' || body instanceof Uint8Array ? [asBytes(body)] : body;
  let size = 0;
  for await (const piece of source) {
    const bytes = asBytes(piece);
    size += bytes.length;
    if (size > limit) throw tooLarge();
    if (bytes.length) yield bytes;
  }
}

const mib = (bytes: number) => `${Math.round((bytes / 1024 / 1024) * 10) / 10} MiB`;

export function createArtifacts(deps: { db: Db; live: LivePublisher; options: ArtifactsOptions }): Artifacts {
  const { db, live, options } = deps;
  const s3: S3Content | null = options.s3 ? createS3Content(options.s3) : null;
  const needS3 = (): S3Content => {
    if (!s3) throw new ArtifactRefusedError('no_store', 'artifacts in the S3 bucket need ARTIFACTS_STORE=s3 and its S3_* settings');
    return s3;
  };

  /** Why the attempt cannot attach `name` now, as an error; null when it may, with the bytes it may still add. */
  async function admit(request: AttachRequest): Promise<{ limit: number; isFileLimit: boolean }> {
    const state = await artifactQueries.attachState(db.sql, request.runId, request.name);
    if (!state || state.attempt !== request.attempt || state.status !== 'running') {
      throw new ArtifactRefusedError('not_running', 'the attempt is over: artifacts can only be attached while it runs');
    }
    if (state.isTaken) throw new ArtifactRefusedError('name_taken', `the run already has an artifact named "${request.name}"`);
    const left = options.maxRunBytes - state.runBytes;
    return left < options.maxBytes ? { limit: Math.max(left, 0), isFileLimit: false } : { limit: options.maxBytes, isFileLimit: true };
  }

  /** After a fenced insert stored nothing: why. */
  async function refusal(request: AttachRequest): Promise<ArtifactRefusedError> {
    try {
      await admit(request);
    } catch (e) {
      if (e instanceof ArtifactRefusedError) return e;
      throw e;
    }
    return new ArtifactRefusedError('not_running', 'the attempt is over: artifacts can only be attached while it runs');
  }

  return {
    async attach(request) {
      const { runId, attempt, name } = request;
      const problem = artifactNameProblem(name);
      if (problem) throw new ArtifactRefusedError('bad_name', `${problem}: ${JSON.stringify(name)}`);
      const contentType = artifactContentType(name, request.contentType);
      const { limit, isFileLimit } = await admit(request);
      let refused: ArtifactRefusedError | null = null;
      const tooLarge = () =>
        (refused = new ArtifactRefusedError(
          'too_large',
          isFileLimit
            ? `"${name}" is larger than ARTIFACT_MAX_BYTES (${mib(options.maxBytes)})`
            : `"${name}" would take the run's artifacts past ARTIFACT_MAX_RUN_BYTES (${mib(options.maxRunBytes)})`,
        ));
      const body = limited(request.body, limit, tooLarge);
      let stored: ArtifactRow | null;
      if (options.store === 'postgres') {
        stored = await db.tx(async (sql) => {
          // The row first (fenced, and holding the name), then its chunks; any failure rolls all of it back.
          const row = await artifactQueries.insert(sql, { runId, attempt, name, size: 0, contentType, store: 'postgres', objectKey: null });
          if (!row) return null;
          const size = await writeChunks(sql, runId, name, body);
          return artifactQueries.setSize(sql, runId, name, size);
        });
      } else {
        const bucket = needS3();
        // A key of its own per upload: an upload never overwrites another artifact's object.
        const objectKey = `runs/${runId}/${randomUUID()}`;
        // The SDK may wrap the reason an upload stopped: the size limit is told as such.
        const size = await bucket.upload(objectKey, body, contentType).catch((e: unknown) => {
          throw refused ?? e;
        });
        try {
          stored = await artifactQueries.insert(db.sql, { runId, attempt, name, size, contentType, store: 's3', objectKey });
        } catch (e) {
          await bucket.remove([objectKey]).catch(() => {});
          throw e;
        }
        if (!stored) await bucket.remove([objectKey]).catch(() => {});
      }
      if (!stored) throw await refusal(request);
      const artifact = toArtifactDto(stored);
      live.artifactAdded(runId, artifact);
      return artifact;
    },

    list: async (runId) => (await artifactQueries.list(db.sql, runId)).map(toArtifactDto),

    find: (runId, name) => artifactQueries.find(db.sql, runId, name),

    async read(artifact, runId, start, end) {
      if (artifact.size === 0 || end < start) return Readable.from([]);
      if (artifact.store === 's3') return needS3().read(artifact.objectKey!, start, end);
      return readChunks(db, runId, artifact.name, start, end);
    },

    async deleteOfRuns(runIds) {
      if (runIds.length === 0) return 0;
      const ids = [...runIds];
      const keys = await artifactQueries.objectKeysOf(db.sql, ids);
      if (keys.length) await needS3().remove(keys);
      return artifactQueries.deleteOf(db.sql, ids);
    },

    close: () => s3?.close(),
  };
}
