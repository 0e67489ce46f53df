import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOOPBACK_OPEN, startStack, type Stack } from '../support/stack';
import { eventually } from '../schedules/fake-scheduler';
import { startReceiver } from './receiver';

let stack: Stack;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
beforeAll(async () => {
  receiver = await startReceiver();
  stack = await startStack({ worker: { ...LOOPBACK_OPEN, notify: { maxAttempts: 2, retryBaseMs: 200, timeoutMs: 5000, concurrency: 5 } } });
});
afterAll(async () => {
  await stack?.stop();
  await receiver?.close();
});

const sql = <T>(text: string, params: unknown[] = []) => stack.app.deps.db.sql<T & Record<string, unknown>>(text, params);

/**
 * A run stored as ended `agoMs` ago whose deliveries were never opened: what
 * a process leaves behind when it stops right after committing a run's end.
 */
async function endedWithoutDeliveries(jobId: string, status: 'succeeded' | 'failed', agoMs: number): Promise<string> {
  const [row] = await sql<{ id: string }>(
    `insert into runs (job_id, status, params, max_attempts, trigger_kind, queued_at, started_at, finished_at, version)
     values (?, ?, '{}', 1, 'manual', now() - ? * interval '1 millisecond', now() - ? * interval '1 millisecond', now() - ? * interval '1 millisecond', 3)
     returning id`,
    [jobId, status, agoMs + 2000, agoMs + 1000, agoMs],
  );
  return row!.id;
}

describe('notifications of run ends whose process stopped before opening them', () => {
  it('are opened and sent by the recovery sweep, once, and only for targets the job had when the run ended', async () => {
    const res = await stack.request('POST', '/api/jobs', {
      token: stack.admin.token,
      body: {
        name: 'recovered',
        type: 'sleep',
        params: { seconds: 0 },
        notifications: [{ kind: 'webhook', on: ['failed'], url: `${receiver.url}/hook`, secret: 'whsec-0123456789-abcdefghij' }],
      },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const jobId = res.body.id as string;
    await sql(`update jobs set updated_at = now() - interval '1 hour' where id = ?`, [jobId]);

    const lost = await endedWithoutDeliveries(jobId, 'failed', 90_000);
    const notAsked = await endedWithoutDeliveries(jobId, 'succeeded', 90_000);
    const tooRecent = await endedWithoutDeliveries(jobId, 'failed', 1_000);
    const tooOld = await endedWithoutDeliveries(jobId, 'failed', 3_600_000);

    const outbox = stack.app.deps.outbox;
    expect(await outbox.recoverMissed(60_000)).toBe(1);
    const sent = await eventually(
      async () => receiver.requests.filter((r) => r.body?.run?.id === lost).length > 0 && receiver.requests,
      'the recovered delivery',
    );
    expect(sent.length).toBe(1);
    expect(await outbox.recoverMissed(60_000)).toBe(0);
    const deliveries = await sql<{ run_id: string; event: string }>(`select run_id, event from notification_deliveries where run_id = any(?::uuid[])`, [
      [lost, notAsked, tooRecent, tooOld],
    ]);
    expect(deliveries).toEqual([{ run_id: lost, event: 'failed' }]);

    // A run that ended before the job's last change is left alone: its targets may not be the ones it had.
    const beforeChange = await endedWithoutDeliveries(jobId, 'failed', 90_000);
    await sql(`update jobs set updated_at = now() where id = ?`, [jobId]);
    expect(await outbox.recoverMissed(60_000)).toBe(0);
    expect((await sql(`select 1 from notification_deliveries where run_id = ?`, [beforeChange])).length).toBe(0);
  });
});
