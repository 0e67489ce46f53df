import { createRequire } from 'node:module';
import path from 'node:path';
import Router from '@koa/router';
import { sendFile } from '../http/static';
import { buildAsyncApi } from './asyncapi';
import { buildOpenApi } from './openapi';

const require = createRequire(import.meta.url);
const swaggerDir = path.dirname(require.resolve('swagger-ui-dist/package.json'));

const page = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Jobflow API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/api/docs/assets/swagger-ui.css">
<link rel="stylesheet" href="/api/docs/assets/docs.css"></head>
<body><p class="live-events">Live events (Socket.IO: every event, payload and ack, and which topic carries which):
<a href="/api/asyncapi.json">AsyncAPI document</a>.</p><div id="docs"></div>
<script src="/api/docs/assets/swagger-ui-bundle.js"></script>
<script src="/api/docs/assets/docs.js"></script>
</body></html>`;

// Files, not inline script and style: the page's CSP allows scripts and styles from this origin only.
const init = `window.ui = SwaggerUIBundle({ url: '/api/openapi.json', dom_id: '#docs', persistAuthorization: false });\n`;
const style = `.live-events{font:14px/1.5 sans-serif;max-width:1460px;margin:12px auto 0;padding:0 20px}\n`;

/** A Host header fit to name the server in the document, else the default. */
const HOST = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

/** OpenAPI JSON at /api/openapi.json, AsyncAPI JSON at /api/asyncapi.json and interactive docs at /api/docs. */
export function docsRoutes(version: string): Router {
  const spec = buildOpenApi(version);
  const router = new Router();
  router.get('/api/openapi.json', (ctx) => {
    ctx.body = spec;
  });
  router.get('/api/asyncapi.json', (ctx) => {
    ctx.body = buildAsyncApi(version, { host: HOST.test(ctx.host) ? ctx.host : undefined, isSecure: ctx.state.client?.isHttps ?? ctx.secure });
  });
  router.get('/api/docs', (ctx) => {
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = page;
  });
  router.get('/api/docs/assets/docs.js', (ctx) => {
    ctx.type = 'text/javascript; charset=utf-8';
    ctx.set('Cache-Control', 'no-cache');
    ctx.body = init;
  });
  router.get('/api/docs/assets/docs.css', (ctx) => {
    ctx.type = 'text/css; charset=utf-8';
    ctx.set('Cache-Control', 'no-cache');
    ctx.body = style;
  });
  router.get('/api/docs/assets/:file', async (ctx) => {
    if (!['swagger-ui.css', 'swagger-ui-bundle.js'].includes(ctx.params.file!)) return;
    await sendFile(ctx, swaggerDir, ctx.params.file!, 3600);
  });
  return router;
}
