import { createRequire } from 'node:module';
import path from 'node:path';
import Router from '@koa/router';
import { sendFile } from '../http/static';
import { buildOpenApi } from './openapi';

const require = createRequire(import.meta.url);
const swaggerDir = path.dirname(require.resolve('swagger-ui-dist/package.json'));

const page = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Jobflow API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/api/docs/assets/swagger-ui.css"></head>
<body><div id="docs"></div>
<script src="/api/docs/assets/swagger-ui-bundle.js"></script>
<script src="/api/docs/assets/docs.js"></script>
</body></html>`;

// A file, not an inline script: the page's CSP allows scripts from this origin only.
const init = `window.ui = SwaggerUIBundle({ url: '/api/openapi.json', dom_id: '#docs', persistAuthorization: false });\n`;

/** OpenAPI JSON at /api/openapi.json and interactive docs at /api/docs. */
export function docsRoutes(version: string): Router {
  const spec = buildOpenApi(version);
  const router = new Router();
  router.get('/api/openapi.json', (ctx) => {
    ctx.body = spec;
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
  router.get('/api/docs/assets/:file', async (ctx) => {
    if (!['swagger-ui.css', 'swagger-ui-bundle.js'].includes(ctx.params.file!)) return;
    await sendFile(ctx, swaggerDir, ctx.params.file!, 3600);
  });
  return router;
}
