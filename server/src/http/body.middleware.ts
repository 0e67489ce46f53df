import type Koa from 'koa';
import { ApiError } from '@jobflow/shared';

const readBody = (req: NodeJS.ReadableStream & { headers: Record<string, unknown> }, limit: number): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      return reject(new ApiError('payload_too_large', `The body is over the limit of ${limit} bytes.`));
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        reject(new ApiError('payload_too_large', `The body is over the limit of ${limit} bytes.`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => !failed && resolve(Buffer.concat(chunks)));
    req.on('error', (e) => !failed && reject(new ApiError('bad_request', `The body could not be read: ${e.message}`)));
  });

/** The JSON Pointer of the first string (key or value) holding a NUL byte, which PostgreSQL cannot store. */
export function findNul(value: unknown, path = ''): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path || '/' : null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const hit = findNul(value[i], `${path}/${i}`);
      if (hit) return hit;
    }
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const p = `${path}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      if (k.includes('\u0000')) return p;
      const hit = findNul(v, p);
      if (hit) return hit;
    }
  }
  return null;
}

/**
 * Parses JSON request bodies into `ctx.state.body`: 413 over the limit, 400
 * for anything that is not JSON, 422 for strings with NUL bytes.
 */
export function jsonBodyMiddleware(limitBytes: number): Koa.Middleware {
  return async (ctx, next) => {
    if (!['POST', 'PUT', 'PATCH', 'DELETE'].includes(ctx.method) || !ctx.path.startsWith('/api')) return next();
    const raw = await readBody(ctx.req, limitBytes);
    let body: unknown = undefined;
    if (raw.length > 0) {
      const type = ctx.get('content-type');
      if (type && !/json/i.test(type)) throw new ApiError('bad_request', 'The body must be JSON (Content-Type: application/json).');
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        throw new ApiError('bad_request', 'The body is not valid JSON.');
      }
      const nul = findNul(body);
      if (nul)
        throw new ApiError('validation_failed', 'Text may not contain NUL bytes.', [{ path: nul, message: 'must not contain NUL (\\u0000) characters' }]);
    }
    ctx.state.body = body;
    return next();
  };
}
