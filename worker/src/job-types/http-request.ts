import { NonRetryableError } from './job-handler';

/** Most redirects followed for one request. */
export const MAX_REDIRECTS = 10;

/** Where the job types that fetch URLs may go. */
export interface HttpAccessOptions {
  /**
   * Host names that may be requested, compared case-insensitively with the URL's host
   * (port ignored) at every redirect hop. `*.example.com` allows every subdomain of
   * example.com but not example.com itself. Absent: every host is allowed.
   */
  allowedHosts?: readonly string[];
}

const normalizeHost = (host: string): string =>
  host
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '');

/** Whether `hostname` (as in `URL.hostname`) is allowed by the list; no list allows all. */
export function isHostAllowed(hostname: string, allowedHosts: readonly string[] | undefined): boolean {
  if (!allowedHosts) return true;
  const host = normalizeHost(hostname);
  return allowedHosts.some((entry) => {
    const allowed = normalizeHost(entry.trim());
    return allowed.startsWith('*.') ? host.endsWith(allowed.slice(1)) : host === allowed;
  });
}

/** Parses and vets a URL to request: http(s), no credentials, allowed host. */
export function checkUrl(raw: string | URL, allowedHosts: readonly string[] | undefined): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new NonRetryableError(`invalid URL: ${String(raw)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new NonRetryableError(`only http and https URLs are allowed, not ${url.protocol}`);
  }
  if (url.username || url.password) {
    throw new NonRetryableError('URLs with a user name or password are not allowed; send an Authorization header');
  }
  if (!isHostAllowed(url.hostname, allowedHosts)) {
    throw new NonRetryableError(`host ${url.hostname} is not in the allowed hosts`);
  }
  return url;
}

export interface RequestOptions {
  method: string;
  headers?: Readonly<Record<string, string>>;
  body?: string;
  signal: AbortSignal;
  followRedirects: boolean;
  allowedHosts?: readonly string[];
  /** Called for each redirect followed, before the next request. */
  onRedirect?(status: number, location: URL): void;
}

export interface RequestOutcome {
  response: Response;
  /** The URL the final response came from. */
  url: URL;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** Dropped when a redirect leaves the origin, as browsers do, so credentials stay with their host. */
const ORIGIN_BOUND_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];
const BODY_HEADERS = ['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location'];

/**
 * Sends a request with the global fetch, following redirects by hand so that every hop
 * is checked against the allowlist and the hop count is bounded. A rejected URL throws
 * NonRetryableError; a network failure throws a plain Error (retryable); an abort
 * rethrows the signal's reason.
 */
export async function sendRequest(target: string | URL, options: RequestOptions): Promise<RequestOutcome> {
  let url = checkUrl(target, options.allowedHosts);
  let method = options.method.toUpperCase();
  let body = options.body;
  const headers = new Map(Object.entries(options.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
  if (body !== undefined && (method === 'GET' || method === 'HEAD')) {
    throw new NonRetryableError(`a ${method} request cannot have a body`);
  }

  for (let redirects = 0; ; redirects++) {
    const response = await fetchOnce(url, { method, headers: Object.fromEntries(headers), body, redirect: 'manual', signal: options.signal }, options.signal);
    const location = response.headers.get('location');
    if (!options.followRedirects || !REDIRECT_STATUSES.has(response.status) || location === null) {
      return { response, url };
    }
    await response.body?.cancel().catch(() => undefined);
    if (redirects >= MAX_REDIRECTS) {
      throw new NonRetryableError(`more than ${MAX_REDIRECTS} redirects (last to ${location})`);
    }
    let next: URL;
    try {
      next = new URL(location, url);
    } catch {
      throw new NonRetryableError(`invalid redirect location: ${location}`);
    }
    next = checkUrl(next, options.allowedHosts);
    if (response.status === 303 ? method !== 'HEAD' : (response.status === 301 || response.status === 302) && method === 'POST') {
      method = 'GET';
      body = undefined;
      for (const name of BODY_HEADERS) headers.delete(name);
    }
    if (next.origin !== url.origin) {
      for (const name of ORIGIN_BOUND_HEADERS) headers.delete(name);
    }
    options.onRedirect?.(response.status, next);
    url = next;
  }
}

async function fetchOnce(url: URL, init: RequestInit, signal: AbortSignal): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    throw networkError(url, error);
  }
}

/** Turns what fetch throws into a readable, retryable (or not) error. */
export function networkError(url: URL, error: unknown): Error {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const message = cause instanceof Error ? cause.message : String(cause);
  if (message === 'bad port') return new NonRetryableError(`port ${url.port} is blocked by fetch`);
  if (error instanceof TypeError && !(error.cause instanceof Error) && error.message !== 'fetch failed') {
    // fetch rejects a request it cannot even build (bad header value, ...): retrying cannot help.
    return new NonRetryableError(`invalid request: ${error.message}`);
  }
  return new Error(`request to ${url.origin} failed: ${message}`, { cause: error });
}
