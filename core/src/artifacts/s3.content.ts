import { Readable } from 'node:stream';
import { DeleteObjectCommand, DeleteObjectsCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { operatorEndpoint } from '../platform';

/** Where the S3-compatible bucket is and how to sign in to it (ARTIFACTS_STORE=s3). */
export interface S3Options {
  /** S3_ENDPOINT; absent: AWS itself, for `region`. */
  endpoint?: string;
  bucket: string;
  region: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  /** Path-style URLs (`endpoint/bucket/key`), as most S3-compatible servers want. */
  forcePathStyle: boolean;
}

/** The smallest part S3 accepts: each upload holds at most one part (and the SDK one more in flight) in memory. */
const PART_BYTES = 5 * 1024 * 1024;
/** DeleteObjects takes at most this many keys. */
const DELETE_BATCH = 1000;
/** DeleteObject requests in flight at once, for a bucket without DeleteObjects. */
const SINGLE_DELETES_AT_ONCE = 8;

/** The server does not offer the request (some S3-compatible servers have no DeleteObjects). */
const isNotImplemented = (e: unknown) =>
  (e as { name?: string }).name === 'NotImplemented' || (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 501;
const messageOf = (e: unknown) => (e as Error).message || (e as Error).name;

/** Artifacts' content as objects in an S3-compatible bucket, streamed both ways. */
export interface S3Content {
  /** Streams `body` to `key` as a multipart upload; returns the bytes sent. */
  upload(key: string, body: AsyncIterable<Uint8Array>, contentType: string): Promise<number>;
  /** Bytes `start` to `end` (inclusive) of `key`. */
  read(key: string, start: number, end: number): Promise<Readable>;
  /**
   * Deletes these objects (an object already gone counts as deleted), in
   * batches of DeleteObjects, or one DeleteObject each from a server that has
   * no DeleteObjects; resolves with those the bucket did not delete and why,
   * never rejects.
   */
  remove(keys: readonly string[]): Promise<{ key: string; error: string }[]>;
  close(): void;
}

export function createS3Content(o: S3Options): S3Content {
  const client = new S3Client({
    // The operator's endpoint, allowed by the egress module's one rule for operator endpoints.
    endpoint: o.endpoint === undefined ? undefined : operatorEndpoint('S3_ENDPOINT', o.endpoint).href,
    region: o.region,
    forcePathStyle: o.forcePathStyle,
    credentials: o.accessKeyId && o.secretAccessKey ? { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey } : undefined,
    // Plain signed parts: S3-compatible servers do not all understand the SDK's default checksum trailers.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  let hasNoBatchDelete = false;
  async function removeOneByOne(keys: readonly string[], failed: { key: string; error: string }[]): Promise<void> {
    let next = 0;
    const deleteNext = async (): Promise<void> => {
      while (next < keys.length) {
        const key = keys[next++]!;
        try {
          await client.send(new DeleteObjectCommand({ Bucket: o.bucket, Key: key }));
        } catch (e) {
          failed.push({ key, error: messageOf(e) });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(SINGLE_DELETES_AT_ONCE, keys.length) }, deleteNext));
  }

  return {
    async upload(key, body, contentType) {
      let size = 0;
      async function* counted() {
        for await (const piece of body) {
          size += piece.length;
          yield piece;
        }
      }
      const upload = new Upload({
        client,
        params: { Bucket: o.bucket, Key: key, Body: Readable.from(counted(), { objectMode: false }), ContentType: contentType },
        partSize: PART_BYTES,
        queueSize: 1,
        leavePartsOnError: false,
      });
      await upload.done();
      return size;
    },
    async read(key, start, end) {
      const answer = await client.send(new GetObjectCommand({ Bucket: o.bucket, Key: key, Range: `bytes=${start}-${end}` }));
      return answer.Body as Readable;
    },
    async remove(keys) {
      const failed: { key: string; error: string }[] = [];
      for (let i = 0; i < keys.length; i += DELETE_BATCH) {
        const batch = keys.slice(i, i + DELETE_BATCH);
        if (hasNoBatchDelete) {
          await removeOneByOne(batch, failed);
          continue;
        }
        try {
          const answer = await client.send(new DeleteObjectsCommand({ Bucket: o.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }));
          for (const e of answer.Errors ?? []) failed.push({ key: e.Key ?? '', error: `${e.Code ?? 'Error'}: ${e.Message ?? 'not deleted'}` });
        } catch (e) {
          if (!isNotImplemented(e)) {
            failed.push(...batch.map((key) => ({ key, error: messageOf(e) })));
            continue;
          }
          hasNoBatchDelete = true;
          await removeOneByOne(batch, failed);
        }
      }
      return failed;
    },
    close: () => client.destroy(),
  };
}
