import { jobTypeInfos, type ParamsOf } from '@jobflow/shared';
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
      const body = await readBody(response, maxBytes, signal, (fraction) => ctx.progress(fraction));
      const durationMs = Math.round(performance.now() - startedAt);
      const result: HttpResult = {
        status: response.status,
        headers: headersToObject(response.headers),
        bodyPreview: previewText(body.preview),
        durationMs,
        url: url.href,
        bytes: body.bytes,
        ...(body.isTruncated ? { isTruncated: true as const } : {}),
      };
      ctx.log(
        `${response.status}${response.statusText ? ` ${response.statusText}` : ''} in ${durationMs} ms, ${body.bytes}${body.isTruncated ? '+' : ''} bytes`,
      );

      if (body.isTruncated) {
        throw new HandlerError(`response body larger than maxResponseBytes (${maxBytes} bytes)`, result);
      }
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
}

/**
 * Reads the body to its end or to `maxBytes`, keeping only the preview, so memory
 * stays small whatever the cap. Past the cap the stream is cancelled, closing the connection.
 */
async function readBody(response: Response, maxBytes: number, signal: AbortSignal, onProgress: (fraction: number) => void): Promise<BodySummary> {
  const preview = new Uint8Array(BODY_PREVIEW_BYTES);
  let previewLength = 0;
  let bytes = 0;
  if (!response.body) return { bytes, preview: preview.subarray(0, 0), isTruncated: false };

  const declared = Number(response.headers.get('content-length') ?? NaN);
  const total = response.headers.has('content-encoding') || !Number.isFinite(declared) ? undefined : declared;
  const reader = response.body.getReader();
  // A declared length over the cap fails at once; only the preview is still read.
  let isTruncated = total !== undefined && total > maxBytes;
  try {
    while (!isTruncated || previewLength < BODY_PREVIEW_BYTES) {
      signal.throwIfAborted();
      const { done, value } = await reader.read();
      if (done) break;
      if (previewLength < BODY_PREVIEW_BYTES) {
        const take = value.subarray(0, BODY_PREVIEW_BYTES - previewLength);
        preview.set(take, previewLength);
        previewLength += take.length;
      }
      bytes += value.length;
      if (bytes > maxBytes) isTruncated = true;
      else if (total) onProgress(Math.min(bytes / total, 1));
    }
  } finally {
    if (isTruncated || signal.aborted) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
  return { bytes, preview: preview.subarray(0, previewLength), isTruncated };
}

// Everything but tab, newline and carriage return among the C0 controls, plus DEL: NUL
// cannot be stored in PostgreSQL text, and the others garble a terminal or a log view.
const CONTROL_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g;

/** Text safe to store and display for any bytes; a character cut at the end is dropped. */
export function previewText(bytes: Uint8Array): string {
  return new TextDecoder('utf-8', { fatal: false }).decode(bytes, { stream: true }).replace(CONTROL_CHARS, '\uFFFD');
}
