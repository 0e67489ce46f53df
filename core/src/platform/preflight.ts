import net from 'node:net';
import pg from 'pg';

const redact = (url: string) => url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');

export const postgresHint = (databaseUrl: string) =>
  `PostgreSQL is unreachable at ${redact(databaseUrl)}: start it with \`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\` or set DATABASE_URL.`;
export const redisHint = (redisUrl: string) =>
  `Redis is unreachable at ${redact(redisUrl)}: start it with \`redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no\` or set REDIS_URL.`;

/** Resolves when Redis answers PING at `redisUrl` within `timeoutMs`. */
export function pingRedis(redisUrl: string, timeoutMs = 2000): Promise<void> {
  const url = new URL(redisUrl);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: url.hostname || '127.0.0.1', port: Number(url.port || 6379) });
    const fail = (e: Error) => {
      socket.destroy();
      reject(e);
    };
    socket.setTimeout(timeoutMs, () => fail(new Error('timeout')));
    socket.on('error', fail);
    socket.on('connect', () => {
      const password = decodeURIComponent(url.password);
      socket.write(password ? `AUTH ${password}\r\nPING\r\n` : 'PING\r\n');
    });
    socket.once('data', () => {
      socket.end();
      resolve();
    });
  });
}

/** Resolves when PostgreSQL accepts a connection to its `postgres` database. */
export async function pingPostgres(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Checks both services before a process starts for real; on failure prints one
 * line per unreachable service, with the fix, and exits 1.
 */
export async function preflight(opts: { databaseUrl: string; redisUrl: string }): Promise<void> {
  const problems: string[] = [];
  await pingPostgres(opts.databaseUrl).catch(() => problems.push(postgresHint(opts.databaseUrl)));
  await pingRedis(opts.redisUrl).catch(() => problems.push(redisHint(opts.redisUrl)));
  if (problems.length === 0) return;
  for (const p of problems) console.error(p);
  process.exit(1);
}

/**
 * Runs a process's start-up; a failure that has a known cause and fix (no
 * database, no schema, a service gone) is one line on stderr and exit 1,
 * anything else the error itself.
 */
export async function startOrExplain<T>(opts: { databaseUrl: string; redisUrl: string }, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (error) {
    const e = error as { code?: string; message?: string };
    const message = String(e?.message ?? '');
    let line: string | null = null;
    if (e?.code === '3D000' || /database .* does not exist/.test(message)) {
      line = `The database in ${redact(opts.databaseUrl)} does not exist: run \`make migrate\` (or \`make start\`) to create it.`;
    } else if (e?.code === '42P01' || /relation .* does not exist/.test(message)) {
      line = `The database in ${redact(opts.databaseUrl)} has no Jobflow schema yet: run \`make migrate\`.`;
    } else if (/ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|ENOTFOUND/.test(message + (e?.code ?? ''))) {
      line = /6379|redis/i.test(message) ? redisHint(opts.redisUrl) : postgresHint(opts.databaseUrl);
    }
    if (!line) throw error;
    console.error(line);
    process.exit(1);
  }
}
