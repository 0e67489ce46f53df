import type { LogLineDto } from '@jobflow/shared';
import type { LivePublisher } from '../live';
import { type Sql, iso } from '../db';

/**
 * Appends one `system` line to a run in any state (a finished run included),
 * in one statement: the line takes the next `seq`. The run's state and
 * version do not change, as with any other log line.
 */
export async function appendRunNote(sql: Sql, runId: string, text: string): Promise<LogLineDto | null> {
  const rows = await sql<{ seq: number; ts: Date | string; stream: 'system'; text: string }>(
    `with r as (update runs set log_count = log_count + 1 where id = ? returning id, log_count)
     insert into run_logs (run_id, seq, ts, stream, text)
     select r.id, r.log_count, now(), 'system', ? from r
     returning seq, ts, stream, text`,
    [runId, text],
  );
  const row = rows[0];
  return row ? { seq: row.seq, ts: iso(row.ts)!, stream: row.stream, text: row.text } : null;
}

/** Stores a system line on the run and sends it to the run's live subscribers. */
export async function noteOnRun(sql: Sql, live: LivePublisher, runId: string, text: string): Promise<LogLineDto | null> {
  const line = await appendRunNote(sql, runId, text);
  if (line) live.runLog(runId, [line]);
  return line;
}
