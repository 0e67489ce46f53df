import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, spawnProcess, until, type Proc } from './processes';

/** Debian's HAProxy. */
export const HAPROXY = '/usr/sbin/haproxy';

export interface HaProxy {
  url: string;
  /** HAProxy's own view of each server: `UP`, `DOWN`, ... by name (`s1`, `s2`, ...). */
  states(): Promise<Record<string, string>>;
  stop(): Promise<void>;
}

/**
 * HAProxy in front of the servers on `ports`, set up as docs/operations.md
 * tells an operator: round robin, health checks on /readyz (a server failing
 * readiness gets no new request), WebSocket-friendly timeouts, a connection
 * that could not be made tried on another server.
 */
export async function startHaProxy(ports: number[], opts: { checkIntervalMs?: number } = {}): Promise<HaProxy> {
  const dir = await mkdtemp(join(tmpdir(), 'jobflow-haproxy-'));
  const port = await freePort();
  const statsPort = await freePort();
  const inter = opts.checkIntervalMs ?? 300;
  const config = `
global
    maxconn 4096
defaults
    mode http
    timeout connect 2s
    # A health check on a busy machine may take longer than the connect timeout allows; it is not a down server.
    timeout check 5s
    timeout client 60s
    timeout server 60s
    timeout tunnel 1h
    timeout http-keep-alive 5s
    retries 3
    option redispatch
    option forwardfor
frontend jobflow
    bind 127.0.0.1:${port}
    default_backend jobflow
frontend stats
    bind 127.0.0.1:${statsPort}
    stats enable
    stats uri /stats
backend jobflow
    balance roundrobin
    option httpchk GET /readyz
    http-check expect status 200
    default-server inter ${inter} fall 1 rise 2
${ports.map((p, i) => `    server s${i + 1} 127.0.0.1:${p} check`).join('\n')}
`;
  const file = join(dir, 'haproxy.cfg');
  await writeFile(file, config);
  const proc: Proc = spawnProcess(HAPROXY, ['-f', file, '-db'], { cwd: dir, env: { PATH: '/usr/sbin:/usr/bin:/bin' } }, `haproxy :${port}`);
  await until(async () => (await fetch(`http://127.0.0.1:${statsPort}/stats;csv`)).ok || proc.child.exitCode !== null, 'HAProxy to listen');
  if (proc.child.exitCode !== null) throw new Error(`HAProxy exited with ${proc.child.exitCode}:\n${proc.output()}`);
  return {
    url: `http://127.0.0.1:${port}`,
    async states() {
      const csv = await (await fetch(`http://127.0.0.1:${statsPort}/stats;csv`)).text();
      const [head, ...rows] = csv.replace(/^# /, '').trim().split('\n');
      const cols = head!.split(',');
      const [px, sv, st] = ['pxname', 'svname', 'status'].map((c) => cols.indexOf(c));
      return Object.fromEntries(
        rows
          .map((r) => r.split(','))
          .filter((r) => r[px!] === 'jobflow' && /^s\d+$/.test(r[sv!]!))
          .map((r) => [r[sv!]!, r[st!]!]),
      );
    },
    async stop() {
      await proc.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
