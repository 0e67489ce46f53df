import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStore, type RunRow } from '@jobflow/core/runs';
import { startStack, type Stack } from '../support/stack';

/**
 * The grouped writes (stored, claimed, lines appended, ended) against
 * PostgreSQL, with no worker: many runs in flight at once share statements,
 * and each run still gets exactly the outcome the single-run statements give.
 */
describe('run writes grouped across runs', () => {
  let stack: Stack;
  let jobId: string;

  beforeAll(async () => {
    stack = await startStack({ workers: 0 });
    const res = await stack.request('POST', '/api/jobs', {
      token: stack.admin.token,
      body: { name: 'grouped', type: 'sleep', params: { seconds: 0 }, maxAttempts: 2, timeoutSec: 30 },
    });
    jobId = res.body.id;
  });
  afterAll(() => stack?.stop());

  it('stores, claims, appends and ends 60 concurrent runs, fenced per attempt', async () => {
    const { batches, db } = stack.app.deps;
    const trigger = { kind: 'api' as const, userId: stack.admin.id };
    const created = await Promise.all(Array.from({ length: 60 }, () => batches.create({ jobId, trigger })));
    expect(created.every((r) => r && r.status === 'queued' && r.version === 1 && r.max_attempts === 2 && r.timeout_sec === 30)).toBe(true);
    const runs = created as RunRow[];
    expect(await batches.create({ jobId: '00000000-0000-4000-8000-000000000000', trigger })).toBeNull();

    const claims = await Promise.all(runs.map((r) => batches.claim({ runId: r.id, attempt: 1, workerId: 'w-test', queueJobId: `${r.id}.1` })));
    expect(claims.every((c) => c.kind === 'claimed' && c.row.status === 'running' && c.row.version === 2 && c.row.worker_id === 'w-test')).toBe(true);
    // A second claim of a claimed attempt is refused, with the run as it is.
    const again = await batches.claim({ runId: runs[0]!.id, attempt: 1, workerId: 'w-other', queueJobId: `${runs[0]!.id}.1` });
    expect(again.kind).toBe('unclaimable');

    // One run is taken over (attempt 2) before its lines and ending arrive: both are refused for it alone.
    const superseded = runs[7]!;
    await runStore.retryOrFail(db.sql, superseded.id, 1, { code: 'worker_lost', message: 'taken over' }, 0);

    const line = (text: string) => ({ ts: new Date().toISOString(), stream: 'stdout' as const, text });
    const appended = await Promise.all(runs.map((r, i) => batches.appendLogs({ runId: r.id, attempt: 1, lines: [line(`a${i}`), line(`b${i}`)] })));
    appended.forEach((stored, i) => {
      if (i === 7) expect(stored).toBeNull();
      else
        expect(stored!.map((l) => [l.seq, l.text])).toEqual([
          [1, `a${i}`],
          [2, `b${i}`],
        ]);
    });

    const ended = await Promise.all(
      runs.map((r, i) =>
        batches.finish({
          runId: r.id,
          attempt: 1,
          status: i % 2 ? 'failed' : 'succeeded',
          result: i % 2 ? null : { i },
          error: i % 2 ? { code: 'handler_error', message: `bad ${i}` } : null,
          systemLine: i % 2 ? `failed ${i}` : undefined,
          lines: [line(`c${i}`)],
        }),
      ),
    );
    ended.forEach((row, i) => {
      if (i === 7) return expect(row).toBeNull();
      expect(row!.status).toBe(i % 2 ? 'failed' : 'succeeded');
      expect(row!.version).toBe(3);
      expect(row!.log_count).toBe(i % 2 ? 4 : 3);
      expect(row!.stored_lines!.map((l) => [l.seq, l.text])).toEqual([[3, `c${i}`]]);
      expect(row!.log_line ? [row!.log_line.seq, row!.log_line.text] : null).toEqual(i % 2 ? [4, `failed ${i}`] : null);
      expect(row!.result).toEqual(i % 2 ? null : { i });
    });

    const stored = await db.sql<{ run_id: string; seqs: number[]; texts: string[] }>(
      `select run_id, array_agg(seq order by seq) as seqs, array_agg(text order by seq) as texts from run_logs
       where run_id in (select json_array_elements_text(?::json)::uuid) group by run_id`,
      [JSON.stringify(runs.map((r) => r.id))],
    );
    const byRun = new Map(stored.map((s) => [s.run_id, s]));
    runs.forEach((r, i) => {
      const s = byRun.get(r.id)!;
      if (i === 7) return expect(s.texts).toEqual(['attempt 2 of 2 after: worker_lost: taken over']);
      expect(s.seqs).toEqual(i % 2 ? [1, 2, 3, 4] : [1, 2, 3]);
      expect(s.texts.slice(0, 3)).toEqual([`a${i}`, `b${i}`, `c${i}`]);
    });
  });
});
