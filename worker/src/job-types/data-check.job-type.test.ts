import v8 from 'node:v8';
import vm from 'node:vm';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createEgress } from '@jobflow/core/platform';
import { createDataCheckHandler, formatFromHints, type DataCheckParams, type DataCheckSummary } from './data-check.job-type';
import { NonRetryableError } from './job-handler';
import { failure, makeContext as makeTestContext } from './job-context.testing';

v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc') as () => void;
/** The heap in use after a full collection. */
const liveHeapBytes = () => {
  collectGarbage();
  return process.memoryUsage().heapUsed;
};

const makeContext = (params: TestParams, signal?: AbortSignal) => makeTestContext<DataCheckParams>(params as Partial<DataCheckParams>, signal);

type Route = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

// The document server listens on loopback, which the egress policy opens only when told to.
const egress = createEgress({ allowCidrs: ['127.0.0.0/8'] });
const dataCheckHandler = createDataCheckHandler({ egress });

let server: Server;
let base: string;
let port: number;
const routes = new Map<string, Route>();
const closedRequests: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    res.on('close', () => closedRequests.push(path));
    const route = routes.get(path);
    if (route) void route(req, res);
    else res.writeHead(404).end('no route');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
});

afterEach(() => {
  routes.clear();
  closedRequests.length = 0;
});

afterAll(async () => {
  await egress.close();
  server.closeAllConnections();
  server.close();
  await once(server, 'close');
});

type TestParams = Omit<Partial<DataCheckParams>, 'url' | 'content'> & ({ url: string } | { content: string });

const noViolations = { required: 0, type: 0, nonEmpty: 0, unique: 0, range: 0, pattern: 0, structure: 0 };

const serve =
  (body: string, contentType: string): Route =>
  (_req, res) => {
    res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };

describe('data-check job type', () => {
  it('fetches a CSV document, checks it and returns the summary', async () => {
    routes.set('/people.csv', serve('id,email\r\n1,a@example.com\r\n2,b@example.com\r\n', 'text/csv; charset=utf-8'));
    const { ctx, logs, progress } = makeContext({
      url: `${base}/people.csv`,
      requiredColumns: ['id', 'email'],
      columns: { id: { type: 'integer', nonEmpty: true }, email: { pattern: '^[^@]+@[^@]+$' } },
      uniqueKeys: [['id']],
    });

    const result = await dataCheckHandler(ctx);

    expect(result).toEqual({ rows: 2, violations: 0, byRule: noViolations, format: 'csv' });
    expect(logs).toEqual([`GET ${base}/people.csv`, '200 OK, 44 bytes', 'checked 2 rows (csv): 0 violations']);
    expect(progress.at(-1)).toBe(1);
  });

  it('logs one line per violation of every rule kind in a CSV document', async () => {
    const content = [
      'id,email,age,joined,active,score',
      '1,a@x.io,30,2024-01-31,true,0.5',
      '2,bad-email,abc,2024-02-30,maybe,',
      '1,c@x.io,200,2024-02-29,FALSE,7',
      ' ,d@x.io,-1,2024-03-01T10:00:00Z,true,1e2',
      '5,e@x.io, 42 ,2023-02-29,false,x',
    ].join('\n');
    const { ctx, logs, artifacts } = makeContext({
      content,
      requiredColumns: ['id', 'email', 'country'],
      columns: {
        id: { type: 'integer', nonEmpty: true },
        email: { pattern: '^[^@\\s]+@[^@\\s]+$' },
        age: { type: 'integer', min: 0, max: 150 },
        joined: { type: 'date' },
        active: { type: 'boolean' },
        score: { type: 'number', nonEmpty: true },
      },
      uniqueKeys: [['id']],
      maxViolations: 100,
    });

    const result = (await dataCheckHandler(ctx)) as DataCheckSummary;

    expect(logs).toEqual([
      'header (line 1): missing required column "country"',
      'row 2 (line 3): column "email" does not match /^[^@\\s]+@[^@\\s]+$/: "bad-email"',
      'row 2 (line 3): column "age" is not an integer: "abc"',
      'row 2 (line 3): column "joined" is not a date (YYYY-MM-DD or RFC 3339 date-time): "2024-02-30"',
      'row 2 (line 3): column "active" is not a boolean (true or false): "maybe"',
      'row 2 (line 3): column "score" is empty',
      'row 3 (line 4): column "age" is above the maximum 150: "200"',
      'row 3 (line 4): duplicate key (id) = "1"',
      'row 4 (line 5): column "id" is empty',
      'row 4 (line 5): column "age" is below the minimum 0: "-1"',
      'row 5 (line 6): column "joined" is not a date (YYYY-MM-DD or RFC 3339 date-time): "2023-02-29"',
      'row 5 (line 6): column "score" is not a number: "x"',
      'checked 5 rows (csv): 12 violations (required 1, type 5, nonEmpty 2, unique 1, range 2, pattern 1)',
    ]);
    expect(result).toEqual({
      rows: 5,
      violations: 12,
      byRule: { required: 1, type: 5, nonEmpty: 2, unique: 1, range: 2, pattern: 1, structure: 0 },
      format: 'csv',
    });
    // Every violation is attached as CSV too, a message with a quote or a comma quoted.
    expect(artifacts.map((a) => [a.name, a.contentType])).toEqual([['violations.csv', 'text/csv']]);
    const csv = artifacts[0]!.bytes.toString('utf8').trimEnd().split('\n');
    expect(csv.length).toBe(13);
    expect(csv[0]).toBe('rule,message');
    expect(csv[1]).toBe('required,"header (line 1): missing required column ""country"""');
    expect(csv[12]).toBe('type,"row 5 (line 6): column ""score"" is not a number: ""x"""');
  });

  it('checks JSON rows by their JSON types and each row for the required columns', async () => {
    const content = [
      '{"id": 1, "name": "Ann", "tags": ["a"], "born": "1990-05-01", "ok": true}',
      '{"id": "2", "name": "", "born": "1990-13-01", "ok": "true"}',
      '{"id": 3.5, "name": null, "born": 19900501, "ok": false, "extra": {"a": 1}}',
      '["not", "an", "object"]',
      '{"id": 1, "name": "Bob", "ok": false}',
    ].join('\n');
    const { ctx, logs } = makeContext({
      content,
      requiredColumns: ['id', 'born'],
      columns: { id: { type: 'integer' }, name: { type: 'string', nonEmpty: true, pattern: '^[A-Z]' }, born: { type: 'date' }, ok: { type: 'boolean' } },
      uniqueKeys: [['id']],
      maxViolations: 100,
    });

    const result = (await dataCheckHandler(ctx)) as DataCheckSummary;

    expect(logs).toEqual([
      'row 2 (line 2): column "id" is not an integer: "2"',
      'row 2 (line 2): column "name" is empty',
      'row 2 (line 2): column "born" is not a date (YYYY-MM-DD or RFC 3339 date-time): "1990-13-01"',
      'row 2 (line 2): column "ok" is not a boolean (true or false): "true"',
      'row 3 (line 3): column "id" is not an integer: 3.5',
      'row 3 (line 3): column "name" is empty',
      'row 3 (line 3): column "born" is not a date (YYYY-MM-DD or RFC 3339 date-time): 19900501',
      'row 4 (line 4): not an object but an array',
      'row 5 (line 5): missing required column "born"',
      'row 5 (line 5): duplicate key (id) = 1',
      'checked 5 rows (json): 10 violations (required 1, type 5, nonEmpty 2, unique 1, structure 1)',
    ]);
    expect(result.format).toBe('json');
  });

  it('treats the elements of a top-level JSON array as rows', async () => {
    const { ctx } = makeContext({
      content: '[\n {"n": 1},\n {"n": 11},\n {"n": "12"}\n]',
      columns: { n: { min: 0, max: 10 } },
      maxViolations: 100,
    });
    expect(await dataCheckHandler(ctx)).toMatchObject({ rows: 3, violations: 2, byRule: { range: 2 }, format: 'json' });
  });

  it('compares multi-column keys column by column and skips keys with a blank part', async () => {
    const content = 'first,last\n"a,b",c\na,"b,c"\na,"b,c"\n,x\n,x\n';
    const { ctx, logs } = makeContext({ content, uniqueKeys: [['first', 'last']], maxViolations: 100 });

    const result = await dataCheckHandler(ctx);

    expect(result).toMatchObject({ rows: 5, violations: 1 });
    expect(logs[0]).toBe('row 3 (line 4): duplicate key (first, last) = ["a","b,c"]');
  });

  it('reports rows that do not fit the CSV header or its quoting', async () => {
    const content = 'a,b,a\n1,2,3\n1,2\n"x"y,2,3\n';
    const { ctx, logs } = makeContext({ content, maxViolations: 100 });

    await dataCheckHandler(ctx);

    expect(logs.slice(0, -1)).toEqual([
      'header (line 1): column "a" appears more than once',
      'row 2 (line 3): 2 fields, the header has 3',
      'row 3 (line 4): text after a closing quote',
    ]);
  });

  describe('threshold and log cap', () => {
    const content = 'n\n1\n-1\n-2\n-3\n-4\n';
    const rules = { columns: { n: { min: 0 } } };

    it('fails without a retry on the first violation by default, keeping the summary as the result', async () => {
      const error = await failure(dataCheckHandler(makeContext({ content: 'n\n1\n-1\n', ...rules }).ctx));

      expect(error).toBeInstanceOf(NonRetryableError);
      expect(error.message).toBe('1 violation, more than the 0 allowed');
      expect((error as NonRetryableError).result).toEqual({ rows: 2, violations: 1, byRule: { ...noViolations, range: 1 }, format: 'csv' });
    });

    it('passes up to maxViolations and fails past it', async () => {
      await expect(dataCheckHandler(makeContext({ content, ...rules, maxViolations: 4 }).ctx)).resolves.toMatchObject({ violations: 4 });
      const error = await failure(dataCheckHandler(makeContext({ content, ...rules, maxViolations: 3 }).ctx));
      expect(error.message).toBe('4 violations, more than the 3 allowed');
    });

    it('logs violations up to maxLoggedViolations, then one line, and still counts them all', async () => {
      const { ctx, logs } = makeContext({ content, ...rules, maxViolations: 10, maxLoggedViolations: 2 });

      expect(await dataCheckHandler(ctx)).toMatchObject({ rows: 5, violations: 4 });
      expect(logs).toEqual([
        'row 2 (line 3): column "n" is below the minimum 0: "-1"',
        'row 3 (line 4): column "n" is below the minimum 0: "-2"',
        'more violations are counted but not logged (maxLoggedViolations is 2)',
        'checked 5 rows (csv): 4 violations (range 4)',
      ]);
    });
  });

  describe('format', () => {
    it('follows the Content-Type, then the URL extension, then the first character', async () => {
      const csvLookingJson = '{"a":1}\n{"a":2}\n';
      routes.set('/rows', serve(csvLookingJson, 'application/x-ndjson'));
      routes.set('/rows.csv', serve('a\n1\n', 'text/plain'));
      routes.set('/rows.bin', serve('  \n[{"a":1}]', 'application/octet-stream'));

      await expect(dataCheckHandler(makeContext({ url: `${base}/rows` }).ctx)).resolves.toMatchObject({ format: 'json', rows: 2 });
      await expect(dataCheckHandler(makeContext({ url: `${base}/rows.csv` }).ctx)).resolves.toMatchObject({ format: 'csv', rows: 1 });
      await expect(dataCheckHandler(makeContext({ url: `${base}/rows.bin` }).ctx)).resolves.toMatchObject({ format: 'json', rows: 1 });
      await expect(dataCheckHandler(makeContext({ content: '{"a":1}' }).ctx)).resolves.toMatchObject({ format: 'json', rows: 1 });
      await expect(dataCheckHandler(makeContext({ content: 'a,b\n1,2' }).ctx)).resolves.toMatchObject({ format: 'csv', rows: 1 });
      // A format given in the params wins: read as CSV, this JSON is a header and one row.
      await expect(dataCheckHandler(makeContext({ url: `${base}/rows`, format: 'csv', delimiter: ';' }).ctx)).resolves.toMatchObject({
        format: 'csv',
        rows: 1,
      });
    });

    it('names formats from common media types and extensions', () => {
      expect(formatFromHints('application/json; charset=utf-8', '/x')).toBe('json');
      expect(formatFromHints('application/vnd.api+json', undefined)).toBe('json');
      expect(formatFromHints('text/csv', '/x.json')).toBe('csv');
      expect(formatFromHints(undefined, '/data/X.JSONL')).toBe('json');
      expect(formatFromHints('text/plain', '/data.txt')).toBeUndefined();
    });

    it('ignores a byte order mark before the CSV header', async () => {
      routes.set('/bom.csv', serve('\uFEFFid\n1\n', 'text/csv'));
      const rules = { requiredColumns: ['id'], columns: { id: { type: 'integer' as const } } };
      await expect(dataCheckHandler(makeContext({ url: `${base}/bom.csv`, ...rules }).ctx)).resolves.toMatchObject({ rows: 1, violations: 0 });
      await expect(dataCheckHandler(makeContext({ content: '\uFEFFid\n1\n', ...rules }).ctx)).resolves.toMatchObject({ rows: 1, violations: 0 });
    });

    it('checks an empty document as zero rows', async () => {
      await expect(dataCheckHandler(makeContext({ content: '' }).ctx)).resolves.toMatchObject({ rows: 0, violations: 0 });
      await expect(dataCheckHandler(makeContext({ content: ' \n ', format: 'json' }).ctx)).resolves.toMatchObject({ rows: 0, violations: 0 });
    });
  });

  describe('failures', () => {
    it('fails without a retry on invalid JSON, with the rows read so far', async () => {
      const error = await failure(dataCheckHandler(makeContext({ content: '{"a":1}\n{"a":2}\n{"a":\n', format: 'json' }).ctx));

      expect(error).toBeInstanceOf(NonRetryableError);
      expect(error.message).toMatch(/^invalid JSON document: line 3: /);
      expect((error as NonRetryableError).result).toMatchObject({ rows: 2 });
    });

    it('refuses rules that cannot hold before reading anything', async () => {
      routes.set('/data.csv', serve('a\n1\n', 'text/csv'));
      const bad = await failure(dataCheckHandler(makeContext({ url: `${base}/data.csv`, columns: { a: { pattern: '([a-z' } } }).ctx));
      expect(bad).toBeInstanceOf(NonRetryableError);
      expect(bad.message).toMatch(/^column "a": invalid pattern: /);

      const range = await failure(dataCheckHandler(makeContext({ content: 'a\n1\n', columns: { a: { min: 5, max: 1 } } }).ctx));
      expect(range.message).toBe('column "a": min 5 is above max 1');
      expect(closedRequests).toEqual([]);
    });

    it('retries a server error and gives up at once on a missing document', async () => {
      routes.set('/busy.csv', (_req, res) => void res.writeHead(503).end());

      const busy = await failure(dataCheckHandler(makeContext({ url: `${base}/busy.csv` }).ctx));
      const missing = await failure(dataCheckHandler(makeContext({ url: `${base}/missing.csv` }).ctx));

      expect(busy.message).toBe('could not fetch the document: status 503');
      expect(busy).not.toBeInstanceOf(NonRetryableError);
      expect(missing.message).toBe('could not fetch the document: status 404');
      expect(missing).toBeInstanceOf(NonRetryableError);
    });

    it('refuses a URL whose host is not allowed', async () => {
      routes.set('/data.csv', serve('a\n1\n', 'text/csv'));
      const narrowed = createEgress({ allowCidrs: ['127.0.0.0/8'], allowedHosts: ['localhost'] });
      const handler = createDataCheckHandler({ egress: narrowed });

      const error = await failure(handler(makeContext({ url: `${base}/data.csv` }).ctx));

      expect(error).toBeInstanceOf(NonRetryableError);
      expect(error.message).toBe('egress_refused: host 127.0.0.1 is not in HTTP_ALLOWED_HOSTS');
      await expect(handler(makeContext({ url: `http://localhost:${port}/data.csv` }).ctx)).resolves.toMatchObject({ rows: 1 });
      await narrowed.close();
    });

    it('stops reading and closes the connection when the signal aborts', async () => {
      routes.set('/slow.csv', (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/csv' });
        res.write('n\n1\n-1\n');
      });
      const controller = new AbortController();
      const reason = new Error('run cancelled');
      const { ctx, logs } = makeContext({ url: `${base}/slow.csv`, columns: { n: { min: 0 } } }, controller.signal);

      const outcome = failure(dataCheckHandler(ctx));
      await expect.poll(() => logs).toContain('row 2 (line 3): column "n" is below the minimum 0: "-1"');
      controller.abort(reason);

      expect(await outcome).toBe(reason);
      await expect.poll(() => closedRequests).toContain('/slow.csv');
    });

    it('stops checking inline content when the signal aborts', async () => {
      const controller = new AbortController();
      controller.abort(new Error('cancelled before start'));
      const error = await failure(dataCheckHandler(makeContext({ content: 'a\n1\n' }, controller.signal).ctx));
      expect(error.message).toBe('cancelled before start');
    });
  });

  describe('large documents', () => {
    const MiB = 1024 * 1024;

    /**
     * Serves `rowCount` generated rows, holding back the second half until `release`
     * resolves: a handler that waited for the whole body before checking would hang here.
     */
    function generated(rowCount: number, row: (n: number) => string, head: string, tail: string, totalBytes: number, release: Promise<void>): Route {
      return async (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': totalBytes });
        const write = async (text: string): Promise<void> => {
          if (!res.write(text)) await once(res, 'drain');
        };
        await write(head);
        let batch = '';
        for (let n = 1; n <= rowCount; n++) {
          batch += row(n);
          if (batch.length >= 64 * 1024 || n === rowCount || n === rowCount / 2) {
            await write(batch);
            batch = '';
          }
          if (n === rowCount / 2) await release;
          if (res.destroyed) return;
        }
        res.end(tail);
      };
    }

    function documentBytes(rowCount: number, row: (n: number) => string, head: string, tail: string): number {
      let bytes = Buffer.byteLength(head) + Buffer.byteLength(tail);
      for (let n = 1; n <= rowCount; n++) bytes += Buffer.byteLength(row(n));
      return bytes;
    }

    const cases = [
      {
        name: 'a 40 MB CSV document',
        rowCount: 400_000,
        head: 'id,email,age,score\n',
        tail: '',
        // Every row is exactly 100 bytes.
        row: (n: number) =>
          `${String(n === 300_000 ? 7 : n).padStart(10, '0')},${`user${n}@example.com`.padEnd(62, ' ')},${n === 100_000 ? 999 : 30 + (n % 50)},${(n % 1000) / 10}`.padEnd(
            99,
            '0',
          ) + '\n',
        firstHalfViolation: 'row 100000 (line 100001): column "age" is above the maximum 150: "999"',
        secondHalfViolation: 'row 300000 (line 300001): duplicate key (id) = "0000000007"',
      },
      {
        name: 'a 25 MB top-level JSON array',
        rowCount: 200_000,
        head: '[\n',
        tail: '{"id":0,"email":"user0@example.com","age":1,"score":1}]\n',
        row: (n: number) =>
          `${JSON.stringify({ id: n === 150_000 ? 7 : n, email: `user${String(n).padStart(6, '0')}@example.com`, age: n === 50_000 ? 999 : 30 + (n % 50), score: 1.5, note: 'x'.repeat(50) })},\n`,
        firstHalfViolation: 'row 50000 (line 50001): column "age" is above the maximum 150: 999',
        secondHalfViolation: 'row 150000 (line 150001): duplicate key (id) = 7',
      },
    ];

    for (const c of cases) {
      it(`streams ${c.name}, checking rows before the rest has arrived, with bounded memory`, async () => {
        let release!: () => void;
        const released = new Promise<void>((resolve) => (release = resolve));
        const totalBytes = documentBytes(c.rowCount, c.row, c.head, c.tail);
        routes.set('/big', generated(c.rowCount, c.row, c.head, c.tail, totalBytes, released));
        expect(totalBytes).toBeGreaterThan(20 * MiB);

        const logs: string[] = [];
        const progress: number[] = [];
        const heapBefore = liveHeapBytes();
        let heapPeak = heapBefore;
        const { ctx } = makeContext({
          url: `${base}/big`,
          requiredColumns: ['id', 'email', 'age'],
          columns: {
            id: { nonEmpty: true },
            email: { pattern: '^user\\d+@example\\.com\\s*$' },
            age: { type: 'integer', min: 0, max: 150 },
            score: { type: 'number' },
          },
          uniqueKeys: [['id'], ['email']],
          maxViolations: 10,
        });
        ctx.log = (line) => {
          logs.push(line);
          if (line === c.firstHalfViolation) release();
        };
        ctx.progress = (fraction) => {
          progress.push(fraction);
          // What the check holds, not garbage that happens to await collection.
          if (progress.length % 10 === 0) heapPeak = Math.max(heapPeak, liveHeapBytes());
        };

        const result = await dataCheckHandler(ctx);

        expect(result).toMatchObject({ rows: c.rowCount + (c.tail ? 1 : 0), violations: 2, byRule: { range: 1, unique: 1 } });
        expect(logs).toContain(c.firstHalfViolation);
        expect(logs).toContain(c.secondHalfViolation);
        // Progress came in steps as the body arrived, not once at the end.
        expect(progress.length).toBeGreaterThan(50);
        expect(progress.filter((fraction) => fraction < 0.5).length).toBeGreaterThan(20);
        // The document as text would take its whole size; what the check keeps is a few
        // rows and the unique keys' digests (outside the JS heap). Loose all the same.
        expect(heapPeak - heapBefore, `${heapPeak - heapBefore} bytes held`).toBeLessThan(totalBytes * 0.1);
      });
    }
  });
});
