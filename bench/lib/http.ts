import http from 'node:http';

type Response = { status: number; body: unknown; text: string };

/** `body[key]` when the body is a JSON object, else undefined. */
export const field = (body: unknown, key: string): unknown => (typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[key] : undefined);

/**
 * A keep-alive HTTP/1.1 client with at most `connections` sockets (the
 * bench's load generator). Sockets are used in turn (FIFO), so none sits idle
 * long enough for the server to close it under load; a request that meets a
 * kept-alive socket the server has just closed (reset before any response)
 * never reached the application and is sent once more on a new socket, as
 * Node's documentation advises.
 */
export function createHttpClient(baseUrl: string, connections: number) {
  const url = new URL(baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections, scheduling: 'fifo' });
  function send(method: string, path: string, headers: Record<string, string>, payload: string | undefined, isRetry: boolean): Promise<Response> {
    return new Promise<Response>((resolve, reject) => {
      const req = http.request({ host: url.hostname, port: url.port, path, method, headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          if ((res.headers['content-type'] ?? '').includes('json') && text) {
            try {
              body = JSON.parse(text);
            } catch {
              // left as text
            }
          }
          resolve({ status: res.statusCode ?? 0, body, text });
        });
        res.on('error', reject);
      });
      req.on('error', (e: NodeJS.ErrnoException) => {
        if (!isRetry && req.reusedSocket && e.code === 'ECONNRESET') resolve(send(method, path, headers, payload, true));
        else reject(e);
      });
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }
  function request(method: string, path: string, opts: { token?: string; body?: unknown } = {}): Promise<Response> {
    const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const headers: Record<string, string> = {};
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    return send(method, path, headers, payload, false);
  }
  return { request, close: () => agent.destroy() };
}

export type HttpClient = ReturnType<typeof createHttpClient>;

/** Runs `task(i)` for i in [0, count) with at most `concurrency` in flight. */
export async function pool<T>(count: number, concurrency: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const out = new Array<T>(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const i = next++;
        out[i] = await task(i);
      }
    }),
  );
  return out;
}
