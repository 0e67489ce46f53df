import type Koa from 'koa';

/**
 * The Content-Security-Policy of the pages (the UI and /api/docs): scripts,
 * styles and connections only from this origin, no inline script and no
 * eval, no plugins, no framing. Images may be data: URLs (the favicon).
 */
export const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** What every other response (JSON, text, files) may do if a browser renders it: nothing. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'";

/** A download (`Content-Disposition: attachment`, e.g. an artifact a run wrote, HTML included): nothing, and in a sandbox of its own origin. */
export const DOWNLOAD_CSP = `${API_CSP}; sandbox`;

/**
 * Headers on every response: no MIME sniffing, no framing, no referrer, a
 * CSP (strict for pages, none-at-all for everything else), and no caching
 * of API answers (they carry tokens and private data); a route that may be
 * cached (docs assets) sets its own Cache-Control. A 401 says how to
 * authenticate (`WWW-Authenticate: Bearer`).
 */
export function securityHeadersMiddleware(): Koa.Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } finally {
      ctx.set('X-Content-Type-Options', 'nosniff');
      ctx.set('X-Frame-Options', 'DENY');
      ctx.set('Referrer-Policy', 'no-referrer');
      ctx.set('Cross-Origin-Opener-Policy', 'same-origin');
      const isDownload = /^attachment/i.test(ctx.response.get('Content-Disposition'));
      ctx.set('Content-Security-Policy', isDownload ? DOWNLOAD_CSP : /^text\/html/i.test(ctx.response.type) ? PAGE_CSP : API_CSP);
      if (ctx.path.startsWith('/api/') && !ctx.response.get('Cache-Control')) ctx.set('Cache-Control', 'no-store');
      if (ctx.status === 401 && !ctx.response.get('WWW-Authenticate')) ctx.set('WWW-Authenticate', 'Bearer realm="jobflow"');
    }
  };
}
