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
 * Checks a JSON text's nesting depth and its count of keys and items (every
 * `:` and `,` outside strings) in one pass over the characters, before
 * anything is built from it: a body of 90,000 keys or 10,000 levels is
 * refused for the price of reading it once.
 */
export function checkJsonShape(text: string, maxDepth: number, maxKeys: number): void {
  let depth = 0;
  let keys = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > maxDepth) throw new ApiError('payload_too_large', `The body nests deeper than ${maxDepth} levels.`);
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) depth--;
    else if (c === 0x3a /* : */ || c === 0x2c /* , */) {
      if (++keys > maxKeys) throw new ApiError('payload_too_large', `The body has more than ${maxKeys} keys and items.`);
    }
  }
}

const isJsonType = (type: string) => /^application\/([a-z0-9.+-]*\+)?json\s*(;|$)/i.test(type.trim());

export interface BodyLimits {
  limitBytes: number;
  maxDepth: number;
  maxKeys: number;
}

/** The one request whose body is read before the caller is known. */
const isSignIn = (ctx: Koa.Context) => ctx.method === 'POST' && ctx.path === '/api/auth/login';

/**
 * Parses JSON request bodies into `ctx.state.body`, only once the caller is
 * signed in (sign-in aside: a stranger's body is never read, let alone
 * parsed): 413 over the size, depth or key limits, 415 for a type that is
 * not JSON (or a body with no type at all), 400 for text that is not JSON, 422 for strings with NUL bytes.
 */
export function jsonBodyMiddleware(limits: BodyLimits): Koa.Middleware {
  return async (ctx, next) => {
    if (!['POST', 'PUT', 'PATCH', 'DELETE'].includes(ctx.method) || !ctx.path.startsWith('/api')) return next();
    const hasBody = Number(ctx.get('content-length') || 0) > 0 || ctx.get('transfer-encoding') !== '';
    // A body left unread is not waited for: the connection closes after the answer (the client may still be sending it).
    const leaveUnread = () => hasBody && ctx.set('Connection', 'close');
    if (!ctx.state.principal && !isSignIn(ctx)) {
      leaveUnread();
      return next();
    }
    const type = ctx.get('content-type');
    // A body must say it is JSON; a body-less change may leave the type out.
    if (type ? !isJsonType(type) : hasBody) {
      leaveUnread();
      throw new ApiError('unsupported_media_type', 'The body must be JSON (Content-Type: application/json).');
    }
    const raw = await readBody(ctx.req, limits.limitBytes).catch((error: unknown) => {
      leaveUnread();
      throw error;
    });
    let body: unknown = undefined;
    if (raw.length > 0) {
      const text = raw.toString('utf8');
      checkJsonShape(text, limits.maxDepth, limits.maxKeys);
      try {
        body = JSON.parse(text);
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
