#!/usr/bin/env node
// The image's health check, whatever the container runs: the server answers on
// PORT, a worker on HEALTH_PORT. Exits 0 as soon as one of them answers the path
// (default /healthz) with a 2xx status, else 1 with what each port said.
//
//   node deploy/docker/healthcheck.mjs [/healthz|/readyz]
const path = process.argv[2] ?? '/healthz';
const { HOST, PORT = '3000', HEALTH_PORT = '3001' } = process.env;
// A process listening on every address answers on loopback.
const host = !HOST || HOST === '0.0.0.0' || HOST === '::' ? '127.0.0.1' : HOST.includes(':') ? `[${HOST}]` : HOST;

const said = [];
for (const port of new Set([PORT, HEALTH_PORT])) {
  const url = `http://${host}:${port}${path}`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
    if (res.ok) process.exit(0);
    said.push(`${url}: HTTP ${res.status}`);
  } catch (err) {
    said.push(`${url}: ${err.cause?.code ?? err.name}`);
  }
}
console.error(`unhealthy: ${said.join('; ')}`);
process.exit(1);
