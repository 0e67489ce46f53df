import http from 'node:http';

/** Servers close keep-alive connections idle for 5 s (Node's default); the client starts afresh well before. */
const IDLE_RESET_MS = 3000;

/** A keep-alive HTTP/1.1 client with at most `connections` sockets (the bench's load generator). */
export function createHttpClient(baseUrl: string, connections: number) {
  const url = new URL(baseUrl);
  const newAgent = () => new http.Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections });
  let agent = newAgent();
  let inFlight = 0;
  let lastDoneAt = Date.now();
  function request(method: string, path: string, opts: { token?: string; body?: unknown } = {}): Promise<{ status: number; body: any; text: string }> {
    const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const headers: Record<string, string> = {};
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    if (inFlight === 0 && Date.now() - lastDoneAt > IDLE_RESET_MS) {
      agent.destroy();
      agent = newAgent();
    }
    inFlight++;
    const settle = () => {
      inFlight--;
      lastDoneAt = Date.now();
    };
    return new Promise<{ status: number; body: any; text: string }>((resolve, reject) => {
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
      req.on('error', reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    }).finally(settle);
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
