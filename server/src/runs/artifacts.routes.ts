import Router from '@koa/router';
import type { Artifacts } from '@jobflow/core/artifacts';
import { allow } from '../auth/access-policy';
import { attachmentDisposition, parseRange } from '../http/download';
import type { RunsService } from './runs.service';

/**
 * A run's artifacts: the list, and each file streamed from its store as the
 * client reads it, whole or by one byte range (206), always as a download.
 */
export function artifactsRoutes(runs: RunsService, artifacts: Artifacts): Router {
  const router = new Router({ prefix: '/api/runs/:id/artifacts' });

  router.get('/', allow('artifacts.list'), async (ctx) => {
    ctx.body = { items: await runs.artifacts(ctx.params.id!) };
  });

  router.get('/:name', allow('artifacts.read'), async (ctx) => {
    const runId = ctx.params.id!;
    const artifact = await runs.artifactOrThrow(runId, ctx.params.name!);
    let range: ReturnType<typeof parseRange>;
    try {
      range = parseRange(ctx.get('Range') || undefined, artifact.size);
    } catch (e) {
      ctx.set('Content-Range', `bytes */${artifact.size}`);
      throw e;
    }
    const { start, end } = range ?? { start: 0, end: artifact.size - 1 };
    const body = await artifacts.read(artifact, runId, start, end);
    ctx.status = range ? 206 : 200;
    ctx.type = artifact.contentType;
    ctx.set('Accept-Ranges', 'bytes');
    if (range) ctx.set('Content-Range', `bytes ${start}-${end}/${artifact.size}`);
    ctx.set('Content-Disposition', attachmentDisposition(artifact.name));
    ctx.set('Last-Modified', new Date(artifact.createdAt).toUTCString());
    ctx.body = body;
    ctx.length = end - start + 1;
  });

  return router;
}
