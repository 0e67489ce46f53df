import BeeQueue from 'bee-queue';
import { Redis } from 'ioredis';
import pg from 'pg';
import { Emitter } from '@socket.io/redis-emitter';
import { lineText, timedLineText } from '../lib/lines';
import { wallMs } from '../lib/probe';
import type { HostRole } from './host';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The raw peers that do a Jobflow worker's part with the bare libraries:
 * a Bee-Queue worker with a no-op handler, multi-row INSERTs through bare
 * `pg`, emits through @socket.io/redis-emitter, and an indexed read.
 */
export async function start(args: { redisUrl: string; databaseUrl: string; poolMax: number }): Promise<HostRole> {
  const redis = new Redis(args.redisUrl);
  const pool = new pg.Pool({ connectionString: args.databaseUrl, max: args.poolMax });
  let queue: BeeQueue | null = null;
  const done = { count: 0, duplicates: 0, lastAtMs: 0, seen: new Set<string>() };

  /** Inserts lines 1..count of a run, `rowsPerStatement` rows per multi-row INSERT. */
  async function insertLines(runId: string, count: number, rowsPerStatement: number) {
    const client = await pool.connect();
    try {
      for (let first = 1; first <= count; first += rowsPerStatement) {
        const last = Math.min(count, first + rowsPerStatement - 1);
        const values: string[] = [];
        const params: unknown[] = [];
        const ts = new Date().toISOString();
        for (let seq = first; seq <= last; seq++) {
          const p = params.length;
          values.push(`($${p + 1}, $${p + 2}, $${p + 3}, $${p + 4}, $${p + 5})`);
          params.push(runId, seq, ts, 'stdout', lineText(seq));
        }
        await client.query(`insert into run_logs (run_id, seq, ts, stream, text) values ${values.join(', ')}`, params);
      }
    } finally {
      client.release();
    }
  }

  return {
    info: { pid: process.pid },
    commands: {
      /** A Bee-Queue worker with Jobflow's queue settings and a no-op handler; optionally emits `raw:done` on completion. */
      'bq:start': async (a: { prefix: string; concurrency: number; emit?: { key: string; room: string } }) => {
        await queue?.close(2000).catch(() => {});
        done.count = 0;
        done.duplicates = 0;
        done.seen.clear();
        const emitter = a.emit ? new Emitter(redis, { key: a.emit.key }) : null;
        queue = new BeeQueue('runs', {
          prefix: a.prefix,
          redis: { url: args.redisUrl } as never,
          isWorker: true,
          getEvents: false,
          sendEvents: false,
          storeJobs: false,
          activateDelayedJobs: false,
          removeOnSuccess: true,
          removeOnFailure: true,
        });
        queue.on('succeeded', (job: BeeQueue.Job<{ id: string }>) => {
          if (done.seen.has(job.data.id)) done.duplicates++;
          done.seen.add(job.data.id);
          done.count++;
          done.lastAtMs = wallMs();
        });
        await queue.ready();
        queue.process(a.concurrency, async (job: BeeQueue.Job<{ id: string }>) => {
          if (emitter) emitter.to(a.emit!.room).emit('raw:done', { id: job.data.id });
        });
      },
      'bq:count': () => ({ count: done.count, duplicates: done.duplicates, lastAtMs: done.lastAtMs }),
      'bq:reset': () => {
        done.count = 0;
        done.duplicates = 0;
        done.lastAtMs = 0;
        done.seen.clear();
      },
      'bq:stop': async () => {
        await queue?.close(2000).catch(() => {});
        queue = null;
      },
      /** Raw multi-row INSERTs of lines 1..count into each run, one connection per run, all at once. */
      'pg:insert': async (a: { runIds: string[]; count: number; rowsPerStatement: number }) => {
        const t0 = wallMs();
        await Promise.all(a.runIds.map((id) => insertLines(id, a.count, a.rowsPerStatement)));
        return { ms: wallMs() - t0 };
      },
      /** Raw emits of lines 1..count to each run's room, `batch` lines per `run:log`. */
      'io:emitLines': async (a: { key: string; runIds: string[]; count: number; batch: number }) => {
        const emitter = new Emitter(redis, { key: a.key });
        const t0 = wallMs();
        const ts = new Date().toISOString();
        await Promise.all(
          a.runIds.map(async (runId) => {
            for (let first = 1; first <= a.count; first += a.batch) {
              const lines = [];
              for (let seq = first; seq < Math.min(a.count + 1, first + a.batch); seq++) lines.push({ seq, ts, stream: 'stdout', text: lineText(seq) });
              emitter.to(`run:${runId}`).emit('run:log', { runId, lines });
              // let other runs' emits interleave, as concurrent producers would
              await new Promise((r) => setImmediate(r));
            }
          }),
        );
        return { ms: wallMs() - t0 };
      },
      /** Raw paced emits: one `run:log` per line, as soon as the line exists, `rate` lines/s. */
      'io:paced': async (a: { key: string; runId: string; count: number; rate: number }) => {
        const emitter = new Emitter(redis, { key: a.key });
        const room = `run:${a.runId}`;
        const start = wallMs();
        let sent = 0;
        while (sent < a.count) {
          const due = Math.min(a.count, Math.floor(((wallMs() - start) * a.rate) / 1000) + 1);
          while (sent < due) {
            const seq = ++sent;
            emitter
              .to(room)
              .emit('run:log', { runId: a.runId, lines: [{ seq, ts: new Date().toISOString(), stream: 'stdout', text: timedLineText(seq, wallMs()) }] });
          }
          await sleep(1);
        }
        return { sent };
      },
      /** The raw indexed read of every line after `afterSeq`, in one statement. */
      'pg:read': async (a: { runId: string; afterSeq: number }) => {
        const t0 = wallMs();
        const { rows } = await pool.query(`select seq, ts, stream, text from run_logs where run_id = $1 and seq > $2 order by seq`, [a.runId, a.afterSeq]);
        const ms = wallMs() - t0;
        let gaps = 0;
        rows.forEach((r: { seq: number }, i: number) => r.seq !== a.afterSeq + i + 1 && gaps++);
        return { ms, rows: rows.length, gaps };
      },
    },
    async close() {
      await queue?.close(2000).catch(() => {});
      await pool.end();
      redis.disconnect();
    },
  };
}
