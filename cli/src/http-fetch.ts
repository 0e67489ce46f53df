import { Blob } from 'node:buffer';
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { Readable } from 'node:stream';

/**
 * `fetch` for the typed client on `node:http` and `node:https`. Node's global
 * fetch loads undici on its first call, which takes longer than everything
 * else a short command like `jobflow whoami` does; this answers the same
 * requests with the modules Node has already loaded. It covers what a JSON
 * API client needs: method, headers, a text or byte body, an abort signal,
 * redirects (the token is not carried to another origin), and a response
 * with `ok`, `status`, `statusText`, `headers`, `json()`, `text()`,
 * `arrayBuffer()`, `blob()` and `body` (a stream, for downloads read as they arrive).
 */
export const httpFetch = (async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
  let url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
  let method = (init.method ?? 'GET').toUpperCase();
  let body = bodyOf(init.body);
  const headers = new Map<string, string>();
  for (const [name, value] of headerEntries(init.headers)) headers.set(name.toLowerCase(), value);
  for (let redirects = 0; ; redirects++) {
    const response = await send(url, method, headers, body, init.signal ?? undefined);
    const location = response.headers.location;
    if (!location || ![301, 302, 303, 307, 308].includes(response.statusCode ?? 0) || init.redirect === 'manual')
      return new HttpResponse(response, url, redirects > 0) as unknown as Response;
    response.resume();
    if (redirects >= 20) throw new TypeError(`too many redirects from ${url.href}`);
    const next = new URL(location, url);
    if (next.origin !== url.origin) headers.delete('authorization');
    if (response.statusCode === 303 || ((response.statusCode === 301 || response.statusCode === 302) && method === 'POST')) {
      method = 'GET';
      body = undefined;
      headers.delete('content-type');
    }
    url = next;
  }
}) as typeof fetch;

function headerEntries(headers: HeadersInit | undefined): Array<[string, string]> {
  if (!headers) return [];
  if (Array.isArray(headers)) return headers.map(([name, value]) => [String(name), String(value)]);
  // A Headers object, told by its shape: naming the global would load undici.
  if (typeof (headers as Headers).forEach === 'function') {
    const entries: Array<[string, string]> = [];
    (headers as Headers).forEach((value, name) => entries.push([name, value]));
    return entries;
  }
  return Object.entries(headers as Record<string, string>);
}

function bodyOf(body: BodyInit | null | undefined): Buffer | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return Buffer.from(body);
  throw new TypeError('httpFetch sends text or bytes only');
}

async function send(
  url: URL,
  method: string,
  headers: Map<string, string>,
  body: Buffer | undefined,
  signal: AbortSignal | undefined,
): Promise<IncomingMessage> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`cannot fetch ${url.protocol} URLs`);
  // TLS is loaded only for an https server.
  const request = url.protocol === 'https:' ? (await import('node:https')).request : httpRequest;
  signal?.throwIfAborted();
  const options: RequestOptions = {
    method,
    headers: { ...Object.fromEntries(headers), ...(body ? { 'content-length': String(body.length) } : {}) },
    signal,
  };
  return new Promise((resolve, reject) => {
    const req = request(url, options, resolve);
    req.on('error', reject);
    req.end(body);
  });
}

/** The parts of a fetch Response a JSON client reads, over an IncomingMessage. */
class HttpResponse {
  readonly status: number;
  readonly statusText: string;
  readonly ok: boolean;
  readonly url: string;
  readonly type = 'basic';
  readonly headers: Headers;
  #bytes: Promise<Buffer> | null = null;

  constructor(
    private readonly message: IncomingMessage,
    url: URL,
    readonly redirected: boolean,
  ) {
    this.status = message.statusCode ?? 0;
    this.statusText = message.statusMessage ?? '';
    this.ok = this.status >= 200 && this.status < 300;
    this.url = url.href;
    this.headers = headersOf(message);
  }

  get bodyUsed(): boolean {
    return this.#bytes !== null;
  }

  /** The body as a web stream, read as it arrives (a file downloaded is never whole in memory). */
  get body(): ReadableStream<Uint8Array> {
    this.#bytes = Promise.reject(new TypeError('the body is being read as a stream'));
    this.#bytes.catch(() => undefined);
    return Readable.toWeb(this.message) as ReadableStream<Uint8Array>;
  }

  arrayBuffer(): Promise<ArrayBuffer> {
    return this.bytes().then((bytes) => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  }

  async blob(): Promise<Blob> {
    return new Blob([await this.bytes()], { type: this.headers.get('content-type') ?? '' });
  }

  async text(): Promise<string> {
    return (await this.bytes()).toString('utf8');
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  private bytes(): Promise<Buffer> {
    if (this.#bytes) return Promise.reject(new TypeError('the body has been read already'));
    this.#bytes = new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      this.message.on('data', (chunk: Buffer) => chunks.push(chunk));
      this.message.on('end', () => resolve(Buffer.concat(chunks)));
      this.message.on('error', reject);
    });
    return this.#bytes;
  }
}

/** A read-only Headers over the response's headers (names in lower case, repeated values joined). */
function headersOf(message: IncomingMessage): Headers {
  const entries = new Map<string, string>();
  for (let i = 0; i < message.rawHeaders.length; i += 2) {
    const name = message.rawHeaders[i]!.toLowerCase();
    const value = message.rawHeaders[i + 1]!;
    const earlier = entries.get(name);
    entries.set(name, earlier === undefined ? value : `${earlier}, ${value}`);
  }
  const sorted = () => [...entries].sort(([a], [b]) => (a < b ? -1 : 1));
  const headers = {
    get: (name: string) => entries.get(name.toLowerCase()) ?? null,
    has: (name: string) => entries.has(name.toLowerCase()),
    getSetCookie: () => message.headers['set-cookie'] ?? [],
    forEach: (callback: (value: string, name: string, parent: Headers) => void) => sorted().forEach(([name, value]) => callback(value, name, headers)),
    entries: () => sorted()[Symbol.iterator](),
    keys: () =>
      sorted()
        .map(([name]) => name)
        .values(),
    values: () =>
      sorted()
        .map(([, value]) => value)
        .values(),
    [Symbol.iterator]: () => sorted()[Symbol.iterator](),
  } as unknown as Headers;
  return headers;
}
