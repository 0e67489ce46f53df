import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import pg from 'pg';
import type { HostRole } from './host';

const ROUTE = /^\/runs(?:\/([0-9a-f-]{36})(\/logs)?)?$/;

/**
 * The raw API peer: bare Koa and a bare `pg` pool (same size as Jobflow's),
 * running the statements Jobflow's list runs, get run and log page run,
 * without auth, validation or DTO mapping.
 */
export async function start(args: { databaseUrl: string; poolMax: number }): Promise<HostRole> {
  const pool = new pg.Pool({ connectionString: args.databaseUrl, max: args.poolMax });
  const app = new Koa();
  app.use(async (ctx) => {
    const m = ROUTE.exec(ctx.path);
    if (!m) return void (ctx.status = 404);
    const [, id, isLogs] = m;
    const q = ctx.query as Record<string, string | undefined>;
    if (!id) {
      const where: string[] = [];
      const params: unknown[] = [];
      if (q.jobId) where.push(`r.job_id = $${params.push(q.jobId)}`);
      if (q.status) where.push(`r.status = $${params.push(q.status)}`);
      const limit = Number(q.limit ?? 50);
      const { rows } = await pool.query(
        `select r.*, j.name as job_name from runs r join jobs j on j.id = r.job_id
         ${where.length ? 'where ' + where.join(' and ') : ''}
         order by r.queued_at desc, r.id desc limit $${params.push(limit + 1)}`,
        params,
      );
      ctx.body = { items: rows.slice(0, limit), nextCursor: null };
      return;
    }
    if (isLogs) {
      // The same statements as Jobflow's log page: the page, and the run only when the page is empty.
      const after = Number(q.after ?? 0);
      const { rows } = await pool.query(
        `select seq, to_char(ts at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as ts, stream, text from run_logs where run_id = $1 and seq > $2 order by seq limit $3`,
        [id, after, Number(q.limit ?? 1000)],
      );
      if (
        rows.length === 0 &&
        !(await pool.query(`select r.*, j.name as job_name, j.type as job_type from runs r join jobs j on j.id = r.job_id where r.id = $1`, [id])).rows[0]
      ) {
        return void (ctx.status = 404);
      }
      ctx.body = { items: rows, nextAfter: rows.length ? rows[rows.length - 1].seq : after };
      return;
    }
    const run = await pool.query(`select r.*, j.name as job_name, j.type as job_type from runs r join jobs j on j.id = r.job_id where r.id = $1`, [id]);
    if (!run.rows[0]) return void (ctx.status = 404);
    ctx.body = run.rows[0];
  });
  const server = http.createServer(app.callback());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    info: { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` },
    commands: {},
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await pool.end();
    },
  };
}
