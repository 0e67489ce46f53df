import { jobTypeInfos, type ParamsOf } from '@jobflow/shared';
import { ArtifactRefusedError } from '@jobflow/core/artifacts';
import { HandlerError, type JobHandler } from './job-handler';
import { sendRequest, type HttpAccessOptions } from './http-request';

const httpInfo = jobTypeInfos.http;
export type HttpParams = ParamsOf<typeof httpInfo>;

const sizeSchema = httpInfo.paramsSchema.properties.maxResponseBytes;
/** Bytes of the response body kept in the result, decoded as UTF-8. */
export const BODY_PREVIEW_BYTES = 2048;

/** What a finished request leaves as the run's result. */
export interface HttpResult extends Record<string, unknown> {
  status: number;
  headers: Record<string, string>;
  /** The first 2 KB of the body as text: invalid UTF-8 and control characters become U+FFFD. */
  bodyPreview: string;
  /** From sending the request to the end of the body, redirects included. */
  durationMs: number;
  /** The URL of the final response, after redirects. */
  url: string;
  /** Body bytes read (after decompression); when `isTruncated`, reading stopped early. */
  bytes: number;
  isTruncated?: true;
  /** The artifact the whole body was kept as (`saveBodyAs`, or its name for a retry). */
  bodyArtifact?: string;
}

/** Response headers that carry credentials: their values never reach the run's result. */
const CREDENTIAL_HEADERS = new Set(['set-cookie', 'set-cookie2', 'cookie', 'authorization', 'proxy-authorization']);
const REDACTED = '****';

/**
 * Builds the `http` handler. Requests go through the worker's egress policy: a
 * request (or a redirect) to a destination it refuses fails the run without a retry.
 */
export function createHttpHandler({ egress }: HttpAccessOptions): JobHandler<HttpParams> {
  return async (ctx) => {
    const { params } = ctx;
    // Params are schema-valid, but defaults may not have been filled in.
    const method = params.method ?? 'GET';
    const followRedirects = params.followRedirects ?? true;
    const maxBytes = Math.min(params.maxResponseBytes ?? sizeSchema.default, sizeSchema.maximum);
    const timeout = params.timeoutMs === undefined ? undefined : AbortSignal.timeout(params.timeoutMs);
    const signal = timeout ? AbortSignal.any([ctx.signal, timeout]) : ctx.signal;

    ctx.log(`${method} ${params.url}`);
    const startedAt = performance.now();
    try {
      const { response, url } = await sendRequest(params.url, {
        method,
        headers: params.headers,
        body: params.body,
        signal,
        followRedirects,
        egress,
        onRedirect: (status, location) => ctx.log(`${status} redirect to ${location.href}`),
      });
      const artifactName = params.saveBodyAs === undefined ? null : bodyArtifactName(params.saveBodyAs, ctx.attempt);
      const kept: { refusal?: ArtifactRefusedError } = {};
      const keep =
        artifactName === null
          ? undefined
          : (pieces: AsyncIterable<Uint8Array>) =>
              ctx.artifact(artifactName, pieces, { contentType: response.headers.get('content-type') ?? undefined }).then(
                () => true,
                (e: unknown) => {
                  if (!(e instanceof ArtifactRefusedError)) throw e;
                  kept.refusal = e;
                  return false;
                },
              );
      const body = await readBody(response, maxBytes, signal, (fraction) => ctx.progress(fraction), keep);
      const durationMs = Math.round(performance.now() - startedAt);
      const result: HttpResult = {
        status: response.status,
        headers: headersToObject(response.headers),
        bodyPreview: previewText(body.preview),
        durationMs,
        url: url.href,
        bytes: body.bytes,
        ...(body.isTruncated ? { isTruncated: true as const } : {}),
        ...(artifactName !== null && body.isKept ? { bodyArtifact: artifactName } : {}),
      };
      ctx.log(
        `${response.status}${response.statusText ? ` ${response.statusText}` : ''} in ${durationMs} ms, ${body.bytes}${body.isTruncated ? '+' : ''} bytes`,
      );

      if (body.isTruncated) {
        throw new HandlerError(`response body larger than maxResponseBytes (${maxBytes} bytes)${artifactName === null ? '' : ': nothing kept'}`, result);
      }
      if (kept.refusal) throw new HandlerError(`response body not kept: ${kept.refusal.message}`, result);
      if (body.isKept) ctx.log(`kept the response body as artifact "${artifactName}" (${body.bytes} bytes)`);
      if (!isExpected(response.status, params.expectedStatus)) {
        throw new HandlerError(`unexpected status ${response.status} (expected ${params.expectedStatus?.join(', ') ?? 'a 2xx status'})`, result);
      }
      ctx.progress(1);
      return result;
    } catch (error) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      if (timeout?.aborted) throw new Error(`no complete response within ${params.timeoutMs} ms`);
      throw error;
    }
  };
}

const isExpected = (status: number, expected: readonly number[] | undefined): boolean =>
  expected ? expected.includes(status) : status >= 200 && status <= 299;

function headersToObject(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    if (CREDENTIAL_HEADERS.has(name)) out[name] = REDACTED;
    else out[name] = name in out ? `${out[name]}, ${value}` : value;
  });
  return out;
}

interface BodySummary {
  bytes: number;
  preview: Uint8Array;
  isTruncated: boolean;
  /** The whole body was handed to `keep`, which stored it. */
  isKept: boolean;
}

/**
 * The name the body is kept as by `attempt`: `name` for the first, and
 * `stem.attempt-N.ext` for a retry (artifact names are unique in a run, and
 * an earlier attempt may have kept its own).
 */
export function bodyArtifactName(name: string, attempt: number): string {
  if (attempt <= 1) return name;
  const dot = name.lastIndexOf('.');
  return dot > 0 ? `${name.slice(0, dot)}.attempt-${attempt}${name.slice(dot)}` : `${name}.attempt-${attempt}`;
}

/**
 * Reads the body to its end or to `maxBytes`, keeping only the preview, so memory
 * stays small whatever the cap. Past the cap the stream is cancelled, closing the connection.
 * With `keep`, the body is streamed through it as it is read (to an artifact;
 * `keep` resolves with whether it was stored):
 * a body past the cap ends its stream with an error, so nothing of it is kept,
 * and one whose declared length is already past the cap is not handed over at all.
 */
async function readBody(
  response: Response,
  maxBytes: number,
  signal: AbortSignal,
  onProgress: (fraction: number) => void,
  keep?: (pieces: AsyncIterable<Uint8Array>) => Promise<boolean>,
): Promise<BodySummary> {
  const preview = new Uint8Array(BODY_PREVIEW_BYTES);
  let previewLength = 0;
  let bytes = 0;
  if (!response.body) {
    const isKept = keep ? await keep((async function* () {})()) : false;
    return { bytes, preview: preview.subarray(0, 0), isTruncated: false, isKept };
  }

  const declared = Number(response.headers.get('content-length') ?? NaN);
  const total = response.headers.has('content-encoding') || !Number.isFinite(declared) ? undefined : declared;
  const reader = response.body.getReader();
  // A declared length over the cap fails at once; only the preview is still read.
  let isTruncated = total !== undefined && total > maxBytes;
  let isDone = false;
  const isKeeping = keep !== undefined && !isTruncated;

  async function* pieces(): AsyncGenerator<Uint8Array> {
    while (!isTruncated || (!isKeeping && previewLength < BODY_PREVIEW_BYTES)) {
      signal.throwIfAborted();
      const { done, value } = await reader.read();
      if (done) {
        isDone = true;
        return;
      }
      if (previewLength < BODY_PREVIEW_BYTES) {
        const take = value.subarray(0, BODY_PREVIEW_BYTES - previewLength);
        preview.set(take, previewLength);
        previewLength += take.length;
      }
      bytes += value.length;
      if (bytes > maxBytes) {
        isTruncated = true;
        // What was handed over already must not be stored as if it were the whole body.
        if (isKeeping) throw new Error(`response body larger than maxResponseBytes (${maxBytes} bytes)`);
      } else {
        if (total) onProgress(Math.min(bytes / total, 1));
        yield value;
      }
    }
  }

  let isKept = false;
  try {
    if (isKeeping) {
      try {
        isKept = await keep(pieces());
      } catch (e) {
        if (!isTruncated) throw e;
      }
    } else {
      for await (const piece of pieces()) void piece;
    }
  } finally {
    if (!isDone) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
  return { bytes, preview: preview.subarray(0, previewLength), isTruncated, isKept };
}

// Everything but tab, newline and carriage return among the C0 controls, plus DEL: NUL
// cannot be stored in PostgreSQL text, and the others garble a terminal or a log view.
const CONTROL_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g;

/** Text safe to store and display for any bytes; a character cut at the end is dropped. */
export function previewText(bytes: Uint8Array): string {
  return new TextDecoder('utf-8', { fatal: false }).decode(bytes, { stream: true }).replace(CONTROL_CHARS, '\uFFFD');
}
