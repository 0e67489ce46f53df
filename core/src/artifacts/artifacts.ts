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
 * The one owner of `run_artifacts`, `artifact_chunks` and
 * `artifact_object_deletions`, and of the objects in the S3 bucket: attaching
 * (streamed, under the size limits, fenced to the attempt, announced as
 * `artifact:added` once stored), listing, reading (by byte range), and
 * removing from the bucket the objects of artifacts deleted with their runs.
 */
export interface Artifacts {
  /** Stores a file for the run's current attempt; throws ArtifactRefusedError (nothing stored) when it cannot. */
  attach(request: AttachRequest): Promise<ArtifactDto>;
  list(runId: string): Promise<ArtifactDto[]>;
  find(runId: string, name: string): Promise<ArtifactRow | null>;
  /** Bytes `start` to `end` (inclusive, within the size) of a found artifact, streamed as the reader asks. */
  read(artifact: ArtifactRow, runId: string, start: number, end: number): Promise<Readable>;
  /**
   * Deletes from the S3 bucket the objects of artifacts whose rows are gone
   * (whatever deleted them: a retention purge, a job deleted with its runs;
   * the database queues their keys as the rows go). A key the bucket does not
   * take stays queued, for the next call. Calls made while one is under way
   * are served by one more pass after it. Without an S3 store, nothing is done.
   */
  removeDeletedObjects(): Promise<ObjectRemoval>;
  /** Waits for a removal under way, then lets go of the bucket's connections. */
  close(): Promise<void>;
}

/** What one pass over the queued bucket deletions did. */
export interface ObjectRemoval {
  /** Objects deleted from the bucket (or already gone). */
  removed: number;
  /** Objects the bucket did not delete: still queued. */
  failed: number;
}

/** Queued keys read and sent to the bucket together (one DeleteObjects request). */
const REMOVAL_BATCH = 1000;

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

  /** An uploaded object no row points at: deleted now, or queued for `removeDeletedObjects` when the bucket does not take it. */
  async function discard(bucket: S3Content, objectKey: string): Promise<void> {
    const failed = await bucket.remove([objectKey]);
    if (failed.length) await artifactQueries.queueDeletions(db.sql, [objectKey]).catch(() => {});
  }

  async function removeQueued(bucket: S3Content): Promise<ObjectRemoval> {
    const result: ObjectRemoval = { removed: 0, failed: 0 };
    // In key order, past each batch: a key that keeps failing is not read twice in one pass.
    for (let after = ''; ;) {
      const keys = await artifactQueries.queuedDeletions(db.sql, after, REMOVAL_BATCH);
      if (keys.length === 0) return result;
      after = keys.at(-1)!;
      const failed = await bucket.remove(keys);
      const failedKeys = new Set(failed.map((f) => f.key));
      const done = keys.filter((k) => !failedKeys.has(k));
      if (done.length) await artifactQueries.deletionsDone(db.sql, done);
      if (failed.length) await artifactQueries.deletionsFailed(db.sql, [...failedKeys], failed[0]!.error);
      result.removed += done.length;
      result.failed += failed.length;
      // A batch the bucket refused whole: it is unreachable; the rest waits for the next pass.
      if (keys.length < REMOVAL_BATCH || done.length === 0) return result;
    }
  }

  let removing: Promise<ObjectRemoval> | null = null;
  let removingAgain: Promise<ObjectRemoval> | null = null;
  function removeDeletedObjects(): Promise<ObjectRemoval> {
    if (!s3) return Promise.resolve({ removed: 0, failed: 0 });
    if (!removing) {
      removing = removeQueued(s3).finally(() => (removing = null));
      return removing;
    }
    // Keys queued after the pass under way started may sort before where it is: one more pass after it finds them.
    removingAgain ??= removing
      .catch(() => undefined)
      .then(() => {
        removingAgain = null;
        return removeDeletedObjects();
      });
    return removingAgain;
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
          await discard(bucket, objectKey);
          throw e;
        }
        if (!stored) await discard(bucket, objectKey);
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

    removeDeletedObjects,

    async close() {
      await Promise.all([removing, removingAgain]).catch(() => {});
      s3?.close();
    },
  };
}
