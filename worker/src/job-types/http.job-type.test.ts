import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { createEgress, isHostAllowed } from '@jobflow/core/platform';
import { bodyArtifactName, createHttpHandler, type HttpParams, type HttpResult } from './http.job-type';
import { HandlerError, NonRetryableError } from './job-handler';
import { failure, makeContext as makeTestContext } from './job-context.testing';

const makeContext = (params: Partial<HttpParams> & { url: string }, signal?: AbortSignal) => makeTestContext<HttpParams>(params, signal);

type Route = (req: IncomingMessage, res: ServerResponse, body: string) => void;

// The test server listens on loopback, which the egress policy opens only when told to.
const egress = createEgress({ allowCidrs: ['127.0.0.0/8'] });
const httpHandler = createHttpHandler({ egress });

let server: Server;
let base: string;
let port: number;
const routes = new Map<string, Route>();
/** Every request the server received, as `METHOD /path`. */
const received: string[] = [];
const closedRequests: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    received.push(`${req.method} ${path}`);
    res.on('close', () => closedRequests.push(path));
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const route = routes.get(path);
      if (route) route(req, res, Buffer.concat(chunks).toString('utf8'));
      else res.writeHead(404).end('no route');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
});

afterEach(() => {
  routes.clear();
  received.length = 0;
  closedRequests.length = 0;
});

afterAll(async () => {
  await egress.close();
  server.closeAllConnections();
  server.close();
  await once(server, 'close');
});

const echo: Route = (req, res, body) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ method: req.method, path: req.url, body, authorization: req.headers.authorization ?? null, token: req.headers['x-token'] ?? null }));
};

describe('http job type', () => {
  it('sends a GET, logs the request line and the status, and returns the response', async () => {
    routes.set('/hello', (_req, res) => res.writeHead(200, { 'content-type': 'text/plain', 'x-served-by': 'test' }).end('hello world'));
    const { ctx, logs } = makeContext({ url: `${base}/hello` });

    const result = (await httpHandler(ctx)) as HttpResult;

    expect(result).toMatchObject({ status: 200, bodyPreview: 'hello world', url: `${base}/hello`, bytes: 11 });
    expect(result.headers).toMatchObject({ 'content-type': 'text/plain', 'x-served-by': 'test' });
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    expect(logs[0]).toBe(`GET ${base}/hello`);
    expect(logs.at(-1)).toMatch(/^200 OK in \d+ ms, 11 bytes$/);
    expect(received).toEqual(['GET /hello']);
  });

  it('sends the method, headers and body it is given', async () => {
    routes.set('/echo', echo);
    const { ctx } = makeContext({ url: `${base}/echo?q=1`, method: 'POST', headers: { 'X-Token': 'secret', 'Content-Type': 'text/plain' }, body: 'payload' });

    const result = (await httpHandler(ctx)) as HttpResult;

    expect(JSON.parse(result.bodyPreview)).toEqual({ method: 'POST', path: '/echo?q=1', body: 'payload', authorization: null, token: 'secret' });
  });

  it('fails with the result kept when the status is not expected', async () => {
    routes.set('/broken', (_req, res) => res.writeHead(500).end('database down'));
    const { ctx, logs } = makeContext({ url: `${base}/broken` });

    const error = await failure(httpHandler(ctx));

    expect(error).toBeInstanceOf(HandlerError);
    expect(error.message).toBe('unexpected status 500 (expected a 2xx status)');
    expect((error as HandlerError).result).toMatchObject({ status: 500, bodyPreview: 'database down' });
    expect(logs.at(-1)).toMatch(/^500 Internal Server Error in \d+ ms/);
  });

  it('succeeds on any listed status and fails on an unlisted 2xx', async () => {
    routes.set('/created', (_req, res) => res.writeHead(201).end());
    const listed = await httpHandler(makeContext({ url: `${base}/missing`, expectedStatus: [404] }).ctx);
    expect(listed).toMatchObject({ status: 404, bodyPreview: 'no route' });

    const error = await failure(httpHandler(makeContext({ url: `${base}/created`, expectedStatus: [200] }).ctx));
    expect(error).toBeInstanceOf(HandlerError);
    expect(error.message).toBe('unexpected status 201 (expected 200)');
  });

  describe('redirects', () => {
    const redirectChain = (hops: number): void => {
      for (let i = hops; i > 0; i--) {
        routes.set(`/r${i}`, (_req, res) => res.writeHead(302, { location: i === 1 ? '/done' : `/r${i - 1}` }).end());
      }
      routes.set('/done', (_req, res) => res.writeHead(200).end('arrived'));
    };

    it('follows them by default, logging each hop', async () => {
      redirectChain(3);
      const { ctx, logs } = makeContext({ url: `${base}/r3` });

      const result = (await httpHandler(ctx)) as HttpResult;

      expect(result).toMatchObject({ status: 200, bodyPreview: 'arrived', url: `${base}/done` });
      expect(logs.filter((line) => line.startsWith('302 redirect to'))).toEqual([
        `302 redirect to ${base}/r2`,
        `302 redirect to ${base}/r1`,
        `302 redirect to ${base}/done`,
      ]);
    });

    it('follows up to 10 and fails without a retry past that', async () => {
      redirectChain(11);
      await expect(httpHandler(makeContext({ url: `${base}/r10` }).ctx)).resolves.toMatchObject({ status: 200 });
      received.length = 0;

      const error = await failure(httpHandler(makeContext({ url: `${base}/r11` }).ctx));

      expect(error).toBeInstanceOf(NonRetryableError);
      expect(error.message).toMatch(/more than 10 redirects/);
      expect(received).not.toContain('GET /done');
    });

    it('returns the 3xx itself when not following', async () => {
      redirectChain(1);
      const error = await failure(httpHandler(makeContext({ url: `${base}/r1`, followRedirects: false }).ctx));
      expect(error).toBeInstanceOf(HandlerError);
      expect((error as HandlerError).result).toMatchObject({ status: 302, headers: { location: '/done' } });

      const result = await httpHandler(makeContext({ url: `${base}/r1`, followRedirects: false, expectedStatus: [302] }).ctx);
      expect(result).toMatchObject({ status: 302 });
      expect(received).not.toContain('GET /done');
    });

    it('turns a POST into a GET on 303 and keeps it on 307', async () => {
      routes.set('/see-other', (_req, res) => res.writeHead(303, { location: '/echo' }).end());
      routes.set('/temporary', (_req, res) => res.writeHead(307, { location: '/echo' }).end());
      routes.set('/echo', echo);

      const afterSeeOther = (await httpHandler(makeContext({ url: `${base}/see-other`, method: 'POST', body: 'data' }).ctx)) as HttpResult;
      const afterTemporary = (await httpHandler(makeContext({ url: `${base}/temporary`, method: 'POST', body: 'data' }).ctx)) as HttpResult;

      expect(JSON.parse(afterSeeOther.bodyPreview)).toMatchObject({ method: 'GET', body: '' });
      expect(JSON.parse(afterTemporary.bodyPreview)).toMatchObject({ method: 'POST', body: 'data' });
    });

    it('keeps Authorization on the same origin and drops it on another', async () => {
      routes.set('/same', (_req, res) => res.writeHead(302, { location: '/echo' }).end());
      routes.set('/other', (_req, res) => res.writeHead(302, { location: `http://localhost:${port}/echo` }).end());
      routes.set('/echo', echo);
      const headers = { Authorization: 'Bearer abc' };

      const same = (await httpHandler(makeContext({ url: `${base}/same`, headers }).ctx)) as HttpResult;
      const other = (await httpHandler(makeContext({ url: `${base}/other`, headers }).ctx)) as HttpResult;

      expect(JSON.parse(same.bodyPreview)).toMatchObject({ authorization: 'Bearer abc' });
      expect(JSON.parse(other.bodyPreview)).toMatchObject({ authorization: null });
    });
  });

  describe('allowed hosts', () => {
    it('refuses a host not in the list without sending anything', async () => {
      routes.set('/hello', (_req, res) => res.end('hi'));
      const narrowed = createEgress({ allowCidrs: ['127.0.0.0/8'], allowedHosts: ['localhost'] });
      onTestFinished(() => narrowed.close());
      const handler = createHttpHandler({ egress: narrowed });

      const error = await failure(handler(makeContext({ url: `${base}/hello` }).ctx));

      expect(error).toBeInstanceOf(NonRetryableError);
      expect(error.message).toBe('egress_refused: host 127.0.0.1 is not in HTTP_ALLOWED_HOSTS');
      expect(received).toEqual([]);
      await expect(handler(makeContext({ url: `http://localhost:${port}/hello` }).ctx)).resolves.toMatchObject({ status: 200 });
    });

    it('refuses a redirect to a host not in the list', async () => {
      routes.set('/away', (_req, res) => res.writeHead(302, { location: `${base}/hello` }).end());
      routes.set('/hello', (_req, res) => res.end('hi'));
      const narrowed = createEgress({ allowCidrs: ['127.0.0.0/8'], allowedHosts: ['LOCALHOST'] });
      onTestFinished(() => narrowed.close());
      const handler = createHttpHandler({ egress: narrowed });

      const error = await failure(handler(makeContext({ url: `http://localhost:${port}/away` }).ctx));

      expect(error).toBeInstanceOf(NonRetryableError);
      expect(error.message).toBe('egress_refused: host 127.0.0.1 is not in HTTP_ALLOWED_HOSTS');
      expect(received).toEqual(['GET /away']);
    });

    it('matches names case-insensitively and *.domain as subdomains only', () => {
      const list = ['api.example.com', '*.internal.test', '[::1]'];
      expect(isHostAllowed('API.Example.com', list)).toBe(true);
      expect(isHostAllowed('a.b.internal.test', list)).toBe(true);
      expect(isHostAllowed('internal.test', list)).toBe(false);
      expect(isHostAllowed('evilinternal.test', list)).toBe(false);
      expect(isHostAllowed('example.com', list)).toBe(false);
      expect(isHostAllowed('[::1]', list)).toBe(true);
      expect(isHostAllowed('anything', undefined)).toBe(true);
      expect(isHostAllowed('anything', [])).toBe(false);
    });
  });

  describe('response size cap', () => {
    it('fails as soon as a declared length is over the cap, keeping the preview', async () => {
      const body = Buffer.alloc(2 * 1024 * 1024, 'x');
      routes.set('/big', (_req, res) => res.writeHead(200, { 'content-length': body.length }).end(body));

      const error = await failure(httpHandler(makeContext({ url: `${base}/big`, maxResponseBytes: 1000 }).ctx));

      expect(error).toBeInstanceOf(HandlerError);
      expect(error.message).toBe('response body larger than maxResponseBytes (1000 bytes)');
      expect((error as HandlerError).result).toMatchObject({ status: 200, isTruncated: true, bodyPreview: 'x'.repeat(2048) });
    });

    it('stops reading an endless body at the cap and closes the connection', async () => {
      routes.set('/endless', (req, res) => {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        const chunk = Buffer.alloc(64 * 1024, 'y');
        const pump = (): void => {
          while (!res.destroyed && res.write(chunk));
        };
        res.on('drain', pump);
        pump();
      });

      const error = await failure(httpHandler(makeContext({ url: `${base}/endless`, maxResponseBytes: 256 * 1024 }).ctx));

      expect(error).toBeInstanceOf(HandlerError);
      expect((error as HandlerError).result).toMatchObject({ isTruncated: true });
      expect(((error as HandlerError).result as HttpResult).bytes).toBeGreaterThan(256 * 1024);
      await expect.poll(() => closedRequests).toContain('/endless');
    });

    it('applies the 1 MiB default', async () => {
      const body = Buffer.alloc(1024 * 1024 + 1, 'z');
      routes.set('/just-over', (_req, res) => res.writeHead(200).end(body));
      routes.set('/at-cap', (_req, res) => res.writeHead(200).end(body.subarray(1)));

      await expect(httpHandler(makeContext({ url: `${base}/at-cap` }).ctx)).resolves.toMatchObject({ bytes: 1024 * 1024 });
      const error = await failure(httpHandler(makeContext({ url: `${base}/just-over` }).ctx));
      expect((error as HandlerError).result).toMatchObject({ isTruncated: true });
    });
  });

  it('keeps the body preview to 2 KB of text that is safe to store, whatever the bytes', async () => {
    const binary = Buffer.alloc(4096);
    for (let i = 0; i < binary.length; i++) binary[i] = i % 256;
    routes.set('/binary', (_req, res) => res.writeHead(200).end(binary));
    // 1 + 682 * 3 = 2047 bytes, so the 2048th byte starts a character that is cut off.
    routes.set('/euro', (_req, res) => res.writeHead(200).end(`a${'€'.repeat(1000)}`));

    const binaryResult = (await httpHandler(makeContext({ url: `${base}/binary` }).ctx)) as HttpResult;
    const euroResult = (await httpHandler(makeContext({ url: `${base}/euro` }).ctx)) as HttpResult;

    expect(binaryResult.bytes).toBe(4096);
    expect(binaryResult.bodyPreview).not.toMatch(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/);
    expect(Buffer.byteLength(binaryResult.bodyPreview)).toBeLessThanOrEqual(2048 * 3);
    expect(binaryResult.bodyPreview).toContain('\t\n');
    expect(euroResult.bodyPreview).toBe(`a${'€'.repeat(682)}`);
  });

  describe('abort and failure', () => {
    it('stops waiting for the response when the signal aborts, and closes the connection', async () => {
      let arrived!: () => void;
      const requestArrived = new Promise<void>((resolve) => (arrived = resolve));
      routes.set('/hang', () => arrived());
      const controller = new AbortController();
      const reason = new Error('run cancelled');

      const outcome = failure(httpHandler(makeContext({ url: `${base}/hang` }, controller.signal).ctx));
      await requestArrived;
      controller.abort(reason);

      expect(await outcome).toBe(reason);
      await expect.poll(() => closedRequests).toContain('/hang');
    });

    it('stops reading the body when the signal aborts', async () => {
      let sent!: () => void;
      const firstChunkSent = new Promise<void>((resolve) => (sent = resolve));
      routes.set('/trickle', (_req, res) => {
        res.writeHead(200);
        res.write('first part', () => sent());
      });
      const controller = new AbortController();

      const outcome = failure(httpHandler(makeContext({ url: `${base}/trickle` }, controller.signal).ctx));
      await firstChunkSent;
      controller.abort(new Error('timeout'));

      expect((await outcome).message).toBe('timeout');
      await expect.poll(() => closedRequests).toContain('/trickle');
    });

    it('fails with a retryable error when timeoutMs passes', async () => {
      routes.set('/hang', () => undefined);

      const error = await failure(httpHandler(makeContext({ url: `${base}/hang`, timeoutMs: 100 }).ctx));

      expect(error.message).toBe('no complete response within 100 ms');
      expect(error).not.toBeInstanceOf(NonRetryableError);
      expect(error).not.toBeInstanceOf(HandlerError);
    });

    it('fails with a retryable error when the connection is refused', async () => {
      const closed = createServer();
      closed.listen(0, '127.0.0.1');
      await once(closed, 'listening');
      const closedPort = (closed.address() as AddressInfo).port;
      closed.close();
      await once(closed, 'close');

      const error = await failure(httpHandler(makeContext({ url: `http://127.0.0.1:${closedPort}/` }).ctx));

      expect(error.message).toMatch(new RegExp(`^request to http://127.0.0.1:${closedPort} failed: .*ECONNREFUSED`));
      expect(error).not.toBeInstanceOf(NonRetryableError);
      expect(error).not.toBeInstanceOf(HandlerError);
    });

    it('refuses requests that cannot succeed without sending them', async () => {
      const cases: [Partial<HttpParams> & { url: string }, RegExp][] = [
        [{ url: `${base}/echo`, method: 'GET', body: 'x' }, /a GET request cannot have a body/],
        [{ url: `ftp://127.0.0.1:${port}/file` }, /only http and https URLs are allowed, not ftp:/],
        [{ url: `${base}/echo`, headers: { 'x-bad': 'a\u0000b' } }, /invalid request/],
      ];
      for (const [params, message] of cases) {
        const error = await failure(httpHandler(makeContext(params).ctx));
        expect(error).toBeInstanceOf(NonRetryableError);
        expect(error.message).toMatch(message);
      }
      expect(received).toEqual([]);
    });
  });

  it('names the kept body per attempt: the name itself first, then the attempt before the extension', () => {
    expect(bodyArtifactName('report.json', 1)).toBe('report.json');
    expect(bodyArtifactName('report.json', 2)).toBe('report.attempt-2.json');
    expect(bodyArtifactName('archive.tar.gz', 3)).toBe('archive.tar.attempt-3.gz');
    expect(bodyArtifactName('body', 2)).toBe('body.attempt-2');
    expect(bodyArtifactName('.env', 2)).toBe('.env.attempt-2');
  });

  it('keeps an empty artifact for a response without a body (HEAD)', async () => {
    routes.set('/head', (_req, res) => res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '5' }).end());
    const { ctx, artifacts, logs } = makeContext({ url: `${base}/head`, method: 'HEAD', saveBodyAs: 'head.txt' });
    const result = (await httpHandler(ctx)) as HttpResult;
    expect(result).toMatchObject({ status: 200, bytes: 0, bodyArtifact: 'head.txt' });
    expect(artifacts.map((a) => [a.name, a.contentType, a.bytes.length])).toEqual([['head.txt', 'text/plain', 0]]);
    expect(logs.at(-1)).toBe('kept the response body as artifact "head.txt" (0 bytes)');
  });
});
