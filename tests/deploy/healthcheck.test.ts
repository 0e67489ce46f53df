import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../support/processes';
import { track, untrack } from '../support/leak-check';
import { repoPath, run } from './tools';

const servers: Server[] = [];

/** An HTTP server on a free loopback port answering `path` with `status`. */
async function answer(status: Record<string, number>): Promise<number> {
  const server = createServer((req, res) => {
    res.statusCode = status[req.url ?? ''] ?? 404;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(track(server, 'health server'));
  return (server.address() as AddressInfo).port;
}

afterEach(async () => {
  for (const server of servers.splice(0)) {
    await new Promise((resolve) => server.close(resolve));
    untrack(server);
  }
});

const check = (env: Record<string, string>, ...args: string[]) =>
  run(process.execPath, [repoPath('deploy/docker/healthcheck.mjs'), ...args], { env: { PATH: process.env.PATH, ...env }, timeoutMs: 20_000 });

describe("the image's health check", () => {
  it('passes for a server answering on PORT', async () => {
    const port = await answer({ '/healthz': 200 });
    const result = await check({ PORT: String(port), HEALTH_PORT: String(await freePort()) });
    expect(result).toMatchObject({ code: 0 });
  });

  it('passes for a worker answering on HEALTH_PORT while nothing listens on PORT', async () => {
    const healthPort = await answer({ '/healthz': 200 });
    const result = await check({ PORT: String(await freePort()), HEALTH_PORT: String(healthPort), HOST: '0.0.0.0' });
    expect(result).toMatchObject({ code: 0 });
  });

  it('fails, saying what each port answered, when nothing is healthy', async () => {
    const sick = await answer({ '/healthz': 503 });
    const closed = await freePort();
    const result = await check({ PORT: String(closed), HEALTH_PORT: String(sick) });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`127.0.0.1:${closed}/healthz: ECONNREFUSED`);
    expect(result.stderr).toContain(`127.0.0.1:${sick}/healthz: HTTP 503`);
  });

  it('checks the path it is given (readiness for Compose)', async () => {
    const port = await answer({ '/healthz': 200, '/readyz': 503 });
    const env = { PORT: String(port), HEALTH_PORT: String(port) };
    expect((await check(env, '/readyz')).code).toBe(1);
    expect((await check(env, '/healthz')).code).toBe(0);
  });
});
