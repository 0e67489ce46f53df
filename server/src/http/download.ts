import { ApiError } from '@jobflow/shared';

/** Bytes `start` to `end` (inclusive) of a representation. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * The one byte range a `Range` header asks for in a representation of
 * `size` bytes (RFC 9110 §14): `bytes=a-b`, `bytes=a-` or `bytes=-n`.
 * Returns null when the whole representation is to be sent: no header, a
 * unit other than bytes, a malformed header, or several ranges (serving it
 * whole is allowed, and simpler than multipart answers). Throws
 * `range_not_satisfiable` (416) when no byte of the range exists.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | null {
  if (!header) return null;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m || (m[1] === '' && m[2] === '')) return null;
  const unsatisfiable = () => new ApiError('range_not_satisfiable', `The range "${header}" is outside the ${size} bytes of this file.`);
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) throw unsatisfiable();
    return { start: Math.max(size - suffix, 0), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== '' && Number(m[2]) < start) return null;
  if (start >= size) throw unsatisfiable();
  return { start, end };
}

/**
 * `Content-Disposition: attachment` for a file name: an ASCII fallback
 * (`filename=`, quotes, backslashes and anything outside printable ASCII
 * replaced by `_`) and the exact name in UTF-8 (`filename*=`, RFC 6266).
 */
export function attachmentDisposition(fileName: string): string {
  const fallback = fileName.replace(/[^\x20-\x7E]|["\\%;]/g, '_');
  const encoded = encodeURIComponent(fileName).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
