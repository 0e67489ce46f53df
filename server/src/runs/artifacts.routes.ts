import type { Artifacts } from '@jobflow/core/artifacts';
import type { RouteHandlers } from '../http/api-router';
import { attachmentDisposition, parseRange } from '../http/download';
import type { RunsService } from './runs.service';

/**
 * A run's artifacts: the list, and each file streamed from its store as the
 * client reads it, whole or by one byte range (206), always as a download.
 */
export function artifactsHandlers(runs: RunsService, artifacts: Artifacts): Pick<RouteHandlers, 'listArtifacts' | 'getArtifact'> {
  return {
    listArtifacts: async (_ctx, { params }) => ({ items: await runs.artifacts(params.id) }),

    getArtifact: async (ctx, { params }) => {
      const artifact = await runs.artifactOrThrow(params.id, params.name);
      let range: ReturnType<typeof parseRange>;
      try {
        range = parseRange(ctx.get('Range') || undefined, artifact.size);
      } catch (e) {
        ctx.set('Content-Range', `bytes */${artifact.size}`);
        throw e;
      }
      const { start, end } = range ?? { start: 0, end: artifact.size - 1 };
      const body = await artifacts.read(artifact, params.id, start, end);
      ctx.status = range ? 206 : 200;
      ctx.type = artifact.contentType;
      ctx.set('Accept-Ranges', 'bytes');
      if (range) ctx.set('Content-Range', `bytes ${start}-${end}/${artifact.size}`);
      ctx.set('Content-Disposition', attachmentDisposition(artifact.name));
      ctx.set('Last-Modified', new Date(artifact.createdAt).toUTCString());
      ctx.body = body;
      ctx.length = end - start + 1;
      // Sent as stored: a download keeps its length (progress, resuming by range)
      // and already-compressed files are not compressed again.
      ctx.compress = false;
      return body;
    },
  };
}
