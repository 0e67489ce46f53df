import type { LogLineDto } from '@jobflow/shared';
import { defineStatement, iso, type Sql, type Timestamp } from '../../db';

const noteRunStatement = defineStatement<{ seq: number; ts: Timestamp; stream: 'system'; text: string }, [runId: string, text: string]>(
  'note_run',
  `with r as (update runs set log_count = log_count + 1 where id = $1 returning id, log_count)
   insert into run_logs (run_id, seq, ts, stream, text)
   select r.id, r.log_count, now(), 'system', $2 from r
   returning seq, ts, stream, text`,
);

/**
 * Appends one `system` line to a run in any state (a finished run included),
 * in one statement: the line takes the next `seq`. The run's state and
 * version do not change, as with any other log line. Null when the run is gone.
 */
export async function noteRun(sql: Sql, runId: string, text: string): Promise<LogLineDto | null> {
  const [row] = await sql(noteRunStatement, [runId, text]);
  return row ? { seq: row.seq, ts: iso(row.ts)!, stream: row.stream, text: row.text } : null;
}
