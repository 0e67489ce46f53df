import { constants } from 'node:zlib';
import compress from 'koa-compress';
import type Koa from 'koa';

/**
 * Compresses answers of 1 KiB and more (API JSON, log downloads, UI files
 * without a precompressed twin) with brotli or gzip, as the client accepts.
 * Brotli at quality 4 costs about what gzip does and saves more; UI files
 * were compressed at build time at the highest quality (see `sendFile`).
 */
export const compressionMiddleware = (): Koa.Middleware =>
  compress({
    threshold: 1024,
    br: { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } },
    gzip: { level: 6 },
    deflate: false,
  });
