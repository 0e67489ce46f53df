import { egressRefusalOf, type Egress, type EgressRequestInit } from '@jobflow/core/platform';
import { NonRetryableError } from './job-handler';

/** Most redirects followed for one request. */
export const MAX_REDIRECTS = 10;

/** Where the job types that fetch URLs may go: the worker's egress policy. */
export interface HttpAccessOptions {
  egress: Egress;
}

/**
 * Parses and vets a URL to request: http(s), and a host and address the egress
 * policy allows (the address is checked again on connecting). Credentials in
 * the URL are taken out of it and returned as a Basic `Authorization` value.
 */
export function checkUrl(raw: string | URL, egress: Egress): { url: URL; basicAuth?: string } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new NonRetryableError(`invalid URL: ${String(raw)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new NonRetryableError(`only http and https URLs are allowed, not ${url.protocol}`);
  }
  let basicAuth: string | undefined;
  if (url.username || url.password) {
    const userinfo = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    basicAuth = `Basic ${Buffer.from(userinfo).toString('base64')}`;
    url.username = '';
    url.password = '';
  }
  try {
    egress.check(url);
  } catch (error) {
    throw refusal(error) ?? error;
  }
  return { url, basicAuth };
}

/** A refused destination as the run's failure: not retried (the policy will not change by retrying). */
const refusal = (error: unknown): NonRetryableError | null => {
  const refused = egressRefusalOf(error);
  return refused ? new NonRetryableError(refused.message) : null;
};

export interface RequestOptions {
  method: string;
  headers?: Readonly<Record<string, string>>;
  body?: string;
  signal: AbortSignal;
  followRedirects: boolean;
  egress: Egress;
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
 * Sends a request through the egress policy, following redirects by hand so that every
 * hop is checked and the hop count is bounded. Credentials in the URL are sent as Basic
 * authorization (unless an Authorization header is given), and like it only to their
 * origin. A rejected URL or destination throws NonRetryableError; a network failure
 * throws a plain Error (retryable); an abort rethrows the signal's reason.
 */
export async function sendRequest(target: string | URL, options: RequestOptions): Promise<RequestOutcome> {
  const first = checkUrl(target, options.egress);
  let url = first.url;
  let method = options.method.toUpperCase();
  let body = options.body;
  const headers = new Map(Object.entries(options.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
  if (first.basicAuth && !headers.has('authorization')) headers.set('authorization', first.basicAuth);
  if (body !== undefined && (method === 'GET' || method === 'HEAD')) {
    throw new NonRetryableError(`a ${method} request cannot have a body`);
  }

  for (let redirects = 0; ; redirects++) {
    const response = await fetchOnce(options.egress, url, { method, headers: Object.fromEntries(headers), body, signal: options.signal }, options.signal);
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
    // Credentials in a Location are not taken: only the ones the run was given are sent, and only to their origin.
    next.username = '';
    next.password = '';
    options.onRedirect?.(response.status, next);
    next = checkUrl(next, options.egress).url;
    if (response.status === 303 ? method !== 'HEAD' : (response.status === 301 || response.status === 302) && method === 'POST') {
      method = 'GET';
      body = undefined;
      for (const name of BODY_HEADERS) headers.delete(name);
    }
    if (next.origin !== url.origin) {
      for (const name of ORIGIN_BOUND_HEADERS) headers.delete(name);
    }
    url = next;
  }
}

async function fetchOnce(egress: Egress, url: URL, init: EgressRequestInit, signal: AbortSignal): Promise<Response> {
  try {
    return await egress.fetch(url, init);
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    throw refusal(error) ?? networkError(url, error);
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
