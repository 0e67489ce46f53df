import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../support/stack';
import { eventually } from '../schedules/fake-scheduler';
import { track, untrack } from '../support/leak-check';

interface Hit {
  path: string;
  authorization?: string;
}

/** An HTTP server on `host` that records every request and answers by path. */
async function startTarget(host: string, answer: (path: string, res: http.ServerResponse) => void) {
  const hits: Hit[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      hits.push({ path: req.url ?? '/', authorization: req.headers.authorization });
      answer(req.url ?? '/', res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const handle = {
    port: (server.address() as AddressInfo).port,
    hits,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      untrack(handle);
    },
  };
  return track(handle, `an HTTP server on ${host}`);
}

const logsOf = async (stack: Stack, runId: string) =>
  ((await stack.request('GET', `/api/runs/${runId}/logs?limit=5000`, { token: stack.admin.token })).body.items as { text: string }[]).map((l) => l.text);

async function runJob(stack: Stack, body: Record<string, unknown>) {
  const job = await stack.request('POST', '/api/jobs', { token: stack.admin.token, body: { maxAttempts: 3, ...body } });
  expect(job.status, JSON.stringify(job.body)).toBe(201);
  const run = await stack.request('POST', `/api/jobs/${job.body.id}/runs`, { token: stack.admin.token, body: {} });
  const final = await eventually(
    async () => {
      const r = (await stack.request('GET', `/api/runs/${run.body.id}`, { token: stack.admin.token })).body;
      return ['succeeded', 'failed', 'cancelled'].includes(r.status) && r;
    },
    `run of ${String(body.name)} to finish`,
  );
  return { job: job.body, run: final };
}

describe('egress policy, closed by default', () => {
  let stack: Stack;
  let target: Awaited<ReturnType<typeof startTarget>>;
  beforeAll(async () => {
    target = await startTarget('127.0.0.1', (_path, res) => res.end('inside'));
    stack = await startStack({ worker: { notify: { maxAttempts: 3, retryBaseMs: 200, timeoutMs: 5000, concurrency: 5 } } });
  });
  afterAll(async () => {
    await stack?.stop();
    await target?.close();
  });

  it('fails an http run to a loopback address at once, naming the address and the setting, without connecting', async () => {
    const { run } = await runJob(stack, { name: 'to loopback', type: 'http', params: { url: `http://127.0.0.1:${target.port}/admin` } });

    expect(run.status).toBe('failed');
    expect(run.attempt).toBe(1);
    expect(run.error.message).toBe('egress_refused: 127.0.0.1, a loopback address (127.0.0.0/8); an operator can open it with EGRESS_ALLOW_CIDRS=127.0.0.0/8');
    expect(run.result).toBeNull();
    expect(target.hits).toEqual([]);
  });

  it('checks the address a name resolves to (data-check to localhost), and every IPv6 and IPv4 form of internal addresses', async () => {
    const urls = [
      `http://localhost:${target.port}/people.csv`,
      `http://[::1]:${target.port}/`,
      `http://[::ffff:127.0.0.1]:${target.port}/`,
      `http://[64:ff9b::7f00:1]:${target.port}/`,
      `http://[fd00::1]:${target.port}/`,
      `http://[fe80::1]:${target.port}/`,
      `http://169.254.169.254/latest/meta-data/`,
      `http://[::ffff:a9fe:a9fe]/latest/meta-data/`,
      `http://100.64.0.1:${target.port}/`,
      `http://10.0.0.1:${target.port}/`,
      `http://0.0.0.0:${target.port}/`,
      `http://2130706433:${target.port}/`,
      `http://224.0.0.1:${target.port}/`,
    ];
    const outcomes = await Promise.all(
      urls.map((url, i) =>
        runJob(
          stack,
          i === 0 ? { name: `dc ${i}`, type: 'data-check', params: { url } } : { name: `http ${i}`, type: 'http', params: { url, timeoutMs: 5000 } },
        ),
      ),
    );
    for (const [i, { run }] of outcomes.entries()) {
      expect(run.status, urls[i]).toBe('failed');
      expect(run.attempt, urls[i]).toBe(1);
      expect(run.error.message, urls[i]).toMatch(/^egress_refused: .*; an operator can open it with EGRESS_ALLOW_CIDRS=/);
    }
    expect(outcomes[0]!.run.error.message).toBe(
      'egress_refused: localhost resolves to 127.0.0.1, a loopback address (127.0.0.0/8); an operator can open it with EGRESS_ALLOW_CIDRS=127.0.0.0/8',
    );
    expect(target.hits).toEqual([]);
  });

  it('gives up webhook and Slack deliveries to internal addresses at once', async () => {
    const { run } = await runJob(stack, {
      name: 'notify inside',
      type: 'sleep',
      params: { seconds: 0 },
      notifications: [
        { kind: 'webhook', on: ['succeeded'], url: `http://127.0.0.1:${target.port}/hook`, secret: 'whsec-0123456789-abcdefghij' },
        { kind: 'slack', on: ['succeeded'], url: `http://localhost:${target.port}/services/T0/B0/abcdefghijklmnopqrstuvwx` },
      ],
    });
    const lines = await eventually(async () => {
      const l = await logsOf(stack, run.id);
      return l.filter((t) => t.startsWith('notification (succeeded)')).length === 2 && l;
    }, 'both deliveries to be given up');
    const outcomes = lines.filter((t) => t.startsWith('notification (succeeded)'));
    expect(outcomes).toHaveLength(2);
    for (const line of outcomes) {
      expect(line).toMatch(/: failed \(egress_refused: .*127\.0\.0\.0\/8.*\), attempt 1 of 3; giving up \(retrying would not help\)$/);
    }
    expect(target.hits).toEqual([]);
  });
});

describe('egress policy, opened for one address', () => {
  let stack: Stack;
  let outside: Awaited<ReturnType<typeof startTarget>>;
  let inside: Awaited<ReturnType<typeof startTarget>>;
  const BODY_SECRET = 'stack-trace-with-internal-details-7d1f';
  beforeAll(async () => {
    inside = await startTarget('127.0.0.1', (_path, res) => res.end('inside'));
    // 127.0.0.2 stands for an allowed, outside server; 127.0.0.1 for the internal one behind it.
    outside = await startTarget('127.0.0.2', (path, res) => {
      if (path === '/to-inside') res.writeHead(302, { location: `http://127.0.0.1:${inside.port}/secret` }).end();
      else if (path === '/to-inside-by-name') res.writeHead(307, { location: `http://localhost:${inside.port}/secret` }).end();
      else if (path.startsWith('/hook') || path.startsWith('/services')) res.writeHead(500).end(BODY_SECRET);
      else res.end('outside');
    });
    stack = await startStack({ worker: { egressAllowCidrs: ['127.0.0.2/32'], notify: { maxAttempts: 1, retryBaseMs: 200, timeoutMs: 5000, concurrency: 5 } } });
  });
  afterAll(async () => {
    await stack?.stop();
    await outside?.close();
    await inside?.close();
  });

  it('reaches an opened address, and refuses a redirect from it to an internal one, by address or by name', async () => {
    const ok = await runJob(stack, { name: 'outside', type: 'http', params: { url: `http://127.0.0.2:${outside.port}/hello` } });
    expect(ok.run.status).toBe('succeeded');
    expect(ok.run.result.bodyPreview).toBe('outside');

    const byAddress = await runJob(stack, { name: 'redirected', type: 'http', params: { url: `http://127.0.0.2:${outside.port}/to-inside` } });
    const byName = await runJob(stack, {
      name: 'redirected by name',
      type: 'data-check',
      params: { url: `http://127.0.0.2:${outside.port}/to-inside-by-name` },
    });

    expect(byAddress.run.status).toBe('failed');
    expect(byAddress.run.error.message).toMatch(/^egress_refused: 127\.0\.0\.1, a loopback address \(127\.0\.0\.0\/8\)/);
    expect(await logsOf(stack, byAddress.run.id)).toContain(`302 redirect to http://127.0.0.1:${inside.port}/secret`);
    expect(byName.run.status).toBe('failed');
    expect(byName.run.error.message).toMatch(/^egress_refused: localhost resolves to 127\.0\.0\.1/);
    expect(inside.hits).toEqual([]);
    expect(outside.hits.map((h) => h.path)).toEqual(['/hello', '/to-inside', '/to-inside-by-name']);
  });

  it('keeps a failed delivery answer body out of the run log: only its status', async () => {
    const { run } = await runJob(stack, {
      name: 'notify outside',
      type: 'sleep',
      params: { seconds: 0 },
      notifications: [
        { kind: 'webhook', on: ['succeeded'], url: `http://127.0.0.2:${outside.port}/hook`, secret: 'whsec-0123456789-abcdefghij' },
        { kind: 'slack', on: ['succeeded'], url: `http://127.0.0.2:${outside.port}/services/T0/B0/abcdefghijklmnopqrstuvwx` },
      ],
    });
    const lines = await eventually(async () => {
      const l = await logsOf(stack, run.id);
      return l.filter((t) => t.startsWith('notification (succeeded)')).length === 2 && l;
    }, 'both deliveries to fail');
    const outcomes = lines.filter((t) => t.startsWith('notification (succeeded)'));
    for (const line of outcomes) expect(line).toMatch(/: failed \(HTTP 500\), attempt 1 of 1; giving up$/);
    expect(lines.join('\n')).not.toContain(BODY_SECRET);
  });
});
