import { Readable } from 'node:stream';
import type { Db, Sql } from '../db';
import { artifactQueries } from './artifacts.queries';

/** The size of each chunk row: big enough that a 200 MB file is 200 rows, small enough that one row is cheap to hold. */
export const CHUNK_BYTES = 1024 * 1024;

/**
 * Writes `body` as chunk rows of exactly CHUNK_BYTES (the last one shorter),
 * one at a time, so memory holds at most one chunk whatever the file's size.
 * Returns the bytes written.
 */
export async function writeChunks(sql: Sql, runId: string, name: string, body: AsyncIterable<Uint8Array>): Promise<number> {
  // One buffer for every chunk: each insert has completed (its bytes sent) before the buffer is filled again.
  const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  let filled = 0;
  let idx = 0;
  let size = 0;
  for await (const piece of body) {
    let offset = 0;
    while (offset < piece.length) {
      const take = Math.min(piece.length - offset, CHUNK_BYTES - filled);
      chunk.set(piece.subarray(offset, offset + take), filled);
      filled += take;
      offset += take;
      if (filled === CHUNK_BYTES) {
        await artifactQueries.insertChunk(sql, runId, name, idx++, chunk);
        filled = 0;
      }
    }
    size += piece.length;
  }
  if (filled > 0 || idx === 0) await artifactQueries.insertChunk(sql, runId, name, idx, chunk.subarray(0, filled));
  return size;
}

/** Bytes `start` to `end` (inclusive) of an artifact stored in chunk rows, read one chunk at a time as the reader asks for them. */
export function readChunks(db: Db, runId: string, name: string, start: number, end: number): Readable {
  async function* pieces() {
    for (let at = start; at <= end;) {
      const idx = Math.floor(at / CHUNK_BYTES);
      const from = at - idx * CHUNK_BYTES;
      const count = Math.min(CHUNK_BYTES - from, end - at + 1);
      const data = await artifactQueries.readChunk(db.sql, runId, name, idx, from, count);
      if (!data || data.length === 0) throw new Error(`chunk ${idx} of artifact "${name}" of run ${runId} is missing`);
      yield data;
      at += data.length;
    }
  }
  return Readable.from(pieces(), { objectMode: false, highWaterMark: 1 });
}
