import type { LogLineDto } from '@jobflow/shared';
import { defineStatement, iso, type Sql, type Timestamp } from '../../db';
import { isoSql } from './fragments';

const linesAfterStatement = defineStatement<LogLineDto, [runId: string, after: number, limit: number]>(
  'read_lines',
  `select seq, ${isoSql('ts')} as ts, stream, text from run_logs where run_id = $1 and seq > $2 order by seq limit $3`,
);

const lastLinesStatement = defineStatement<Omit<LogLineDto, 'ts'> & { ts: Timestamp }, [runId: string, upToSeq: number, count: number]>(
  'read_last_lines',
  `select seq, ts, stream, text from run_logs where run_id = $1 and seq <= $2 order by seq desc limit $3`,
);

/**
 * Lines with `seq > after`, ascending. PostgreSQL formats `ts` as the ISO
 * string the API sends (timestamps are stored to the millisecond), which
 * saves parsing and formatting a Date per line on long reads.
 */
export function readLines(sql: Sql, runId: string, after: number, limit: number): Promise<LogLineDto[]> {
  return sql(linesAfterStatement, [runId, after, limit]);
}

/** The last `count` lines up to `upToSeq`, oldest first. */
export async function readLastLines(sql: Sql, runId: string, upToSeq: number, count: number): Promise<LogLineDto[]> {
  const rows = await sql(lastLinesStatement, [runId, upToSeq, count]);
  return rows.reverse().map((r) => ({ seq: r.seq, ts: iso(r.ts)!, stream: r.stream, text: r.text }));
}
