import { Redis } from 'ioredis';
import { Emitter } from '@socket.io/redis-emitter';
import { measured, sleep, startJobflow, type BenchEnv } from './lib/env';
import { pool } from './lib/http';
import { startHost, type Host } from './lib/proc';
import { runCase, type CaseResult, type SideSample } from './lib/runner';
import { connect, connected, subscribe, until, type BenchSocket } from './lib/sockets';

/**
 * sockets: memory per authenticated socket subscribed to the dashboard, held
 * by one server process, against a raw Socket.IO server (same Redis adapter)
 * with a no-op auth middleware. Each repeat starts fresh server processes.
 */
export async function socketsBench(env: BenchEnv): Promise<CaseResult[]> {
  const count = env.isQuick ? 200 : 5000;
  const holdSec = env.isQuick ? 1 : 30;

  /** Connects `count` sockets 200 at a time, holds them, checks one broadcast reaches all, and measures the server's RSS (after GC). */
  async function repeat(
    server: Host,
    url: string,
    token: string | undefined,
    subscribePayload: Record<string, unknown>,
    broadcast: () => Promise<void>,
    probeEvent: string,
    hosts: Host[],
  ): Promise<SideSample> {
    await sleep(500);
    const rss0 = await server.call<number>('gc');
    const sockets: BenchSocket[] = [];
    let drops = 0;
    let got = 0;
    const m = await measured(env, hosts, async () => {
      const t0 = Date.now();
      await pool(count, 200, async (i) => {
        const s = connect(url, token);
        sockets[i] = s;
        await connected(s);
        await subscribe(s, subscribePayload);
        s.on('disconnect', () => drops++);
        s.on(probeEvent, () => got++);
      });
      const connectMs = Date.now() - t0;
      const rss1 = await server.call<number>('gc');
      await sleep(holdSec * 1000);
      await broadcast();
      await until(() => got >= count, `the broadcast to reach ${count} sockets`, 60_000, 10).catch(() => {});
      const rss2 = await server.call<number>('gc');
      return { connectMs, rss1, rss2 };
    });
    const problems: string[] = [];
    if (drops) problems.push(`${drops} sockets dropped while held`);
    for (const s of sockets) s?.disconnect();
    if (got !== count) problems.push(`the broadcast reached ${got} of ${count} sockets`);
    return {
      metrics: {
        kbPerSocket: (m.value.rss2 - rss0) / 1024 / count,
        kbPerSocketAtConnect: (m.value.rss1 - rss0) / 1024 / count,
        connectPerSec: (count / m.value.connectMs) * 1000,
        baseRssMb: rss0 / 1048576,
      },
      verified: [`${count} sockets authenticated and subscribed`, `none dropped during ${holdSec} s`, 'one dashboard broadcast reached every socket'],
      problems,
      procs: m.procs,
    };
  }

  const redis = new Redis(env.redisUrl);
  try {
    const result = await runCase(
      {
        id: 'sockets',
        workload: `${count.toLocaleString('en-US')} authenticated sockets (session token) subscribed to the dashboard, held ${holdSec} s; RSS after GC, minus the fresh server's RSS after GC, per socket`,
        peer: 'raw Socket.IO server, same Redis adapter, no-op auth middleware, subscribe joins a room',
        warmup: false,
        repeats: env.repeats,
        rows: [
          { label: 'RSS per socket', metric: 'kbPerSocket', unit: 'KB', targets: [{ kind: 'ratio<=', value: 1.5, text: '≤ 1.5× raw' }] },
          { label: 'RSS per socket right after connecting', metric: 'kbPerSocketAtConnect', unit: 'KB', targets: [] },
          { label: 'sockets connected per second', metric: 'connectPerSec', unit: '/s', targets: [] },
        ],
        async run(side) {
          if (side === 'jobflow') {
            const jf = await startJobflow(env, { workers: 0 });
            try {
              return await repeat(
                jf.server,
                jf.url,
                jf.token,
                { topic: 'dashboard' },
                () => jf.createJob({ name: 'bench sockets probe', type: 'sleep', params: { seconds: 0 } }).then(() => {}),
                'job:updated',
                jf.hosts,
              );
            } finally {
              await jf.stop();
            }
          }
          const key = `${env.newPrefix('rawio')}:io`;
          const raw = await startHost<{ url: string }>('raw-io', 'raw-io', { redisUrl: env.redisUrl, key });
          try {
            const emitter = new Emitter(redis, { key });
            return await repeat(raw, raw.info.url, undefined, { room: 'dashboard' }, async () => void emitter.to('dashboard').emit('probe', {}), 'probe', [
              raw,
            ]);
          } finally {
            await raw.stop();
          }
        },
      },
      env.log,
    );
    return [result];
  } finally {
    redis.disconnect();
  }
}
