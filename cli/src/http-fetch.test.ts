import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpFetch } from './http-fetch';

interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
  contentType: string | undefined;
  body: string;
}

/** A server that records what it receives and answers by path. */
async function startServer(routes: (req: IncomingMessage, res: ServerResponse, body: string) => void) {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, authorization: req.headers.authorization, contentType: req.headers['content-type'], body });
      routes(req, res, body);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, seen, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

let api: Awaited<ReturnType<typeof startServer>>;
let elsewhere: Awaited<ReturnType<typeof startServer>>;

beforeAll(async () => {
  elsewhere = await startServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"elsewhere":true}'));
  api = await startServer((req, res, body) => {
    const path = req.url!.split('?')[0];
    if (path === '/json') res.writeHead(200, { 'content-type': 'application/json', 'x-two': ['a', 'b'] }).end(JSON.stringify({ echo: body, query: req.url }));
    else if (path === '/missing')
      res.writeHead(404, 'Not Found', { 'content-type': 'application/json' }).end('{"error":{"code":"not_found","message":"No such run."}}');
    else if (path === '/empty') res.writeHead(204).end();
    else if (path === '/temporary') res.writeHead(307, { location: '/json?after=307' }).end();
    else if (path === '/see-other') res.writeHead(303, { location: '/json?after=303' }).end();
    else if (path === '/away') res.writeHead(302, { location: `${elsewhere.url}/landed` }).end();
    else if (path === '/loop') res.writeHead(302, { location: '/loop' }).end();
    else if (path === '/slow') setTimeout(() => res.writeHead(200).end('late'), 5_000).unref();
    else res.writeHead(500).end();
  });
});
afterAll(async () => {
  await Promise.all([api.close(), elsewhere.close()]);
});

const JSON_POST = { method: 'POST', headers: { Authorization: 'Bearer jf_secret', 'Content-Type': 'application/json' }, body: '{"a":"é"}' };

describe('httpFetch', () => {
  it('answers as the global fetch does: status, headers, text and JSON bodies', async () => {
    for (const [path, init] of [
      ['/json?x=1', JSON_POST],
      ['/missing', {}],
      ['/empty', { method: 'DELETE' }],
    ] as const) {
      const [ours, theirs] = [await httpFetch(api.url + path, init), await fetch(api.url + path, init)];
      expect({ path, ok: ours.ok, status: ours.status, statusText: ours.statusText }).toEqual({
        path,
        ok: theirs.ok,
        status: theirs.status,
        statusText: theirs.statusText,
      });
      expect(ours.headers.get('Content-Type')).toBe(theirs.headers.get('content-type'));
      expect(await ours.text()).toBe(await theirs.text());
    }
    const sent = api.seen.filter((s) => s.url === '/json?x=1');
    expect(sent).toHaveLength(2);
    expect(sent[0]).toEqual(sent[1]);
    expect(sent[0]).toMatchObject({ method: 'POST', authorization: 'Bearer jf_secret', contentType: 'application/json', body: '{"a":"é"}' });

    const json = await httpFetch(`${api.url}/json`, { headers: [['Accept', 'application/json']] });
    expect(json.headers.get('x-two')).toBe('a, b');
    expect(await json.json()).toMatchObject({ echo: '', query: '/json' });
    await expect(json.json()).rejects.toThrow(/read already/);
    const blob = await (await httpFetch(`${api.url}/missing`)).blob();
    expect(blob.type).toBe('application/json');
    expect(JSON.parse(await blob.text())).toMatchObject({ error: { code: 'not_found' } });
  });

  it('follows redirects: 307 keeps the method and body, 303 turns into GET, another origin gets no token', async () => {
    api.seen.length = 0;
    const kept = await httpFetch(`${api.url}/temporary`, JSON_POST);
    expect(await kept.json()).toMatchObject({ echo: '{"a":"é"}', query: '/json?after=307' });
    expect(kept.redirected).toBe(true);
    const switched = await httpFetch(`${api.url}/see-other`, JSON_POST);
    expect(await switched.json()).toMatchObject({ echo: '', query: '/json?after=303' });
    expect(api.seen.map((s) => [s.method, s.url, s.authorization])).toEqual([
      ['POST', '/temporary', 'Bearer jf_secret'],
      ['POST', '/json?after=307', 'Bearer jf_secret'],
      ['POST', '/see-other', 'Bearer jf_secret'],
      ['GET', '/json?after=303', 'Bearer jf_secret'],
    ]);

    const away = await httpFetch(`${api.url}/away`, { headers: { authorization: 'Bearer jf_secret' } });
    expect(await away.json()).toEqual({ elsewhere: true });
    expect(elsewhere.seen.at(-1)).toMatchObject({ url: '/landed', authorization: undefined });
    await expect(httpFetch(`${api.url}/loop`)).rejects.toThrow(/too many redirects/);
  });

  it('rejects when aborted or when nothing listens', async () => {
    const abort = new AbortController();
    const pending = httpFetch(`${api.url}/slow`, { signal: abort.signal });
    setTimeout(() => abort.abort(), 50);
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    await expect(httpFetch(`${api.url}/json`, { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    await expect(httpFetch('http://127.0.0.1:9/json')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await expect(httpFetch('ftp://127.0.0.1/file')).rejects.toThrow(TypeError);
  });
});
