import fs from 'node:fs';
import path from 'node:path';
import type Koa from 'koa';
import { isServicePath } from './paths';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Precompressed twins the UI build writes beside its files (`app.js.br`, `app.js.gz`), best first. */
const TWINS = [
  { encoding: 'br', suffix: '.br' },
  { encoding: 'gzip', suffix: '.gz' },
] as const;

/**
 * Sends `relPath` from under `root` if it is a file there (never outside it),
 * as its precompressed twin when the client accepts that encoding.
 * Returns false when there is no such file.
 */
export async function sendFile(ctx: Koa.Context, root: string, relPath: string, maxAgeSec = 0): Promise<boolean> {
  const base = path.resolve(root);
  const file = path.resolve(base, '.' + path.posix.normalize('/' + decodeURIComponentSafe(relPath)));
  if (file !== base && !file.startsWith(base + path.sep)) return false;
  const stat = await fs.promises.stat(file).catch(() => null);
  if (!stat?.isFile()) return false;
  ctx.type = TYPES[path.extname(file)] ?? 'application/octet-stream';
  ctx.lastModified = stat.mtime;
  ctx.set('Cache-Control', maxAgeSec > 0 ? `public, max-age=${maxAgeSec}, immutable` : 'no-cache');
  ctx.vary('Accept-Encoding');
  for (const twin of TWINS) {
    if (!ctx.acceptsEncodings(twin.encoding, 'identity')) continue;
    if (ctx.acceptsEncodings(twin.encoding, 'identity') !== twin.encoding) continue;
    const packed = await fs.promises.stat(file + twin.suffix).catch(() => null);
    if (!packed?.isFile()) continue;
    ctx.set('Content-Encoding', twin.encoding);
    ctx.length = packed.size;
    ctx.body = fs.createReadStream(file + twin.suffix);
    return true;
  }
  ctx.length = stat.size;
  ctx.body = fs.createReadStream(file);
  return true;
}

const decodeURIComponentSafe = (s: string) => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

/** Serves the built single-page UI: files as they are, and index.html for every other page path. */
export function uiMiddleware(distDir: string): Koa.Middleware {
  return async (ctx, next) => {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return next();
    if (isServicePath(ctx.path) || ctx.path.startsWith('/socket.io')) return next();
    // Source maps would publish the full sources: never served, even if a build left some behind.
    if (ctx.path.endsWith('.map')) return next();
    const immutable = ctx.path.startsWith('/assets/') ? 365 * 24 * 3600 : 0;
    if (ctx.path !== '/' && (await sendFile(ctx, distDir, ctx.path, immutable))) return;
    if (path.extname(ctx.path) && ctx.path !== '/') return next();
    if (await sendFile(ctx, distDir, 'index.html')) return;
    ctx.type = 'text/html; charset=utf-8';
    ctx.body =
      '<!doctype html><title>Jobflow</title><p>The UI is not built yet: run <code>npm run build</code>. The API is at <a href="/api/docs">/api/docs</a>.</p>';
  };
}
