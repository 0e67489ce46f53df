import pg from 'pg';
import { track, untrack } from './leak-check';

/** Ad-hoc SQL for a test (`$1, $2, ...` placeholders): to set up what no API makes, and to look at what was stored. */
export interface TestSql {
  <T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/** A small pool of its own on the database at `url`, closed by `close()`. */
export function openSql(url: string): TestSql {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  pool.on('error', () => {});
  const sql = Object.assign(async <T>(text: string, params: unknown[] = []) => (await pool.query(text, params)).rows as T[], {
    async close() {
      await pool.end();
      untrack(sql);
    },
  });
  return track(sql, `a SQL pool on ${url}`);
}
