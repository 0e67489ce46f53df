import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunDto } from '@jobflow/shared';
import { createIdempotency, fingerprintOf, IDEMPOTENCY_ABANDONED_SEC } from '@jobflow/server';
import { errorOf, startStack, type Stack, type TestUser } from '../support/stack';

let stack: Stack;
let user: TestUser;
let other: TestUser;
let jobId: string;

beforeAll(async () => {
  stack = await startStack({ workers: 0 });
  user = await stack.createUser();
  other = await stack.createUser();
  jobId = (await stack.createJob({ name: 'idempotent', type: 'sleep', params: { seconds: 1 } }, user.token)).id;
});
afterAll(() => stack.stop());

let counter = 0;
const newKey = () => `key-${Date.now().toString(36)}-${++counter}`;
const runsOf = async (job: string) => Number((await stack.sql<{ n: string }>('select count(*) as n from runs where job_id = $1', [job]))[0]!.n);
const start = (key: string, body: unknown = {}, who: TestUser = user, path = `/api/jobs/${jobId}/runs`) =>
  stack.request<RunDto>('POST', path, { token: who.token, body, headers: { 'idempotency-key': key } });

describe('Idempotency-Key on starting a run', () => {
  it('a retry with the same key and body answers the same run, with the same status and body, and starts nothing', async () => {
    const before = await runsOf(jobId);
    const key = newKey();
    const first = await start(key, { params: { seconds: 2 } });
    expect(first.status).toBe(201);
    const retries = await Promise.all([start(key, { params: { seconds: 2 } }), start(key, { params: { seconds: 2 } })]);
    for (const retry of retries) {
      expect(retry.status).toBe(201);
      expect(retry.body).toEqual(first.body);
      expect(retry.headers.get('location')).toBe(`/api/runs/${first.body.id}`);
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
    }
    expect(await runsOf(jobId)).toBe(before + 1);
  });

  it('concurrent first requests with one key start one run', async () => {
    const before = await runsOf(jobId);
    const key = newKey();
    const replies = await Promise.all(Array.from({ length: 5 }, () => start(key)));
    // One starts the run; the others see it (201, same run) or, while it is being answered, a 409 to retry.
    const ok = replies.filter((r) => r.status === 201);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    expect(new Set(ok.map((r) => r.body.id)).size).toBe(1);
    for (const r of replies.filter((r) => r.status !== 201)) {
      expect(errorOf(r).code).toBe('conflict');
      // Worth trying again in a moment, and a client does.
      expect(r.headers.get('retry-after')).toBe('1');
    }
    expect(await runsOf(jobId)).toBe(before + 1);
    const settled = await start(key);
    expect(settled.body.id).toBe(ok[0]!.body.id);
  });

  it('the same key with another body, or for another job, is a 422 and starts nothing', async () => {
    const key = newKey();
    await start(key, { params: { seconds: 2 } });
    const before = await runsOf(jobId);
    const otherBody = await start(key, { params: { seconds: 3 } });
    expect(otherBody.status).toBe(422);
    expect(errorOf(otherBody).code).toBe('validation_failed');
    const otherJob = (await stack.createJob({ name: 'another', type: 'sleep', params: { seconds: 1 } }, user.token)).id;
    const elsewhere = await start(key, { params: { seconds: 2 } }, user, `/api/jobs/${otherJob}/runs`);
    expect(elsewhere.status).toBe(422);
    expect(await runsOf(jobId)).toBe(before);
    expect(await runsOf(otherJob)).toBe(0);
  });

  it('keys belong to their user: another user with the same key starts their own run', async () => {
    const key = newKey();
    const mine = await start(key);
    const theirs = await start(key, {}, other);
    expect(theirs.status).toBe(201);
    expect(theirs.body.id).not.toBe(mine.body.id);
    expect(theirs.body.trigger.userId).toBe(other.id);
  });

  it('a refused start keeps no key: the corrected retry with it starts the run', async () => {
    const key = newKey();
    const refused = await start(key, { params: { seconds: -1 } });
    expect(refused.status).toBe(422);
    const before = await runsOf(jobId);
    // Same key and same (bad) body again: refused again, not replayed from memory of a success.
    expect((await start(key, { params: { seconds: -1 } })).status).toBe(422);
    const fixed = await start(key, { params: { seconds: 1 } });
    expect(fixed.status).toBe(201);
    expect(await runsOf(jobId)).toBe(before + 1);
  });

  it('rerun honours the key the same way', async () => {
    const original = await stack.startRun(jobId, {}, user.token);
    const key = newKey();
    const path = `/api/runs/${original.id}/rerun`;
    const first = await start(key, {}, user, path);
    expect(first.status).toBe(201);
    expect(first.body.trigger).toMatchObject({ kind: 'rerun', rerunOf: original.id });
    const again = await start(key, {}, user, path);
    expect(again.body).toEqual(first.body);
    expect((await start(key, { params: { seconds: 9 } }, user, path)).status).toBe(422);
  });

  it('a key whose first request never got its answer (its server stopped in the middle) answers 409 for a minute, then is taken over', async () => {
    const before = await runsOf(jobId);
    const key = newKey();
    // What a server killed between claiming the key and answering leaves behind.
    const path = `/api/jobs/${jobId}/runs`;
    await stack.sql(`insert into idempotency_keys (user_id, key, fingerprint) values ($1, $2, $3)`, [user.id, key, fingerprintOf('POST', path, {})]);
    const meanwhile = await start(key);
    expect(meanwhile.status).toBe(409);
    expect(meanwhile.headers.get('retry-after')).toBe('1');
    await stack.sql(`update idempotency_keys set created_at = now() - $3 * interval '1 second' where user_id = $1 and key = $2`, [
      user.id,
      key,
      IDEMPOTENCY_ABANDONED_SEC + 1,
    ]);
    const later = await start(key);
    expect(later.status).toBe(201);
    expect(await runsOf(jobId)).toBe(before + 1);
    const replay = await start(key);
    expect(replay.body.id).toBe(later.body.id);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
  });

  it('a malformed key is a 400', async () => {
    const res = await start('has spaces and ünïcode');
    expect(res.status).toBe(400);
    expect(errorOf(res).code).toBe('bad_request');
  });

  it('after 24 hours a key is new again, and the purge deletes keys older than that', async () => {
    const key = newKey();
    const first = await start(key);
    await stack.sql(`update idempotency_keys set created_at = now() - interval '25 hours' where user_id = $1 and key = $2`, [user.id, key]);
    const later = await start(key);
    expect(later.status).toBe(201);
    expect(later.body.id).not.toBe(first.body.id);

    const old = newKey();
    await start(old);
    await stack.sql(`update idempotency_keys set created_at = now() - interval '25 hours' where user_id = $1 and key = $2`, [user.id, old]);
    const fresh = newKey();
    await start(fresh);
    expect(await createIdempotency(stack.app.deps.db.sql).purge()).toBeGreaterThanOrEqual(1);
    const left = await stack.sql<{ key: string }>(`select key from idempotency_keys where user_id = $1 and key = any($2)`, [user.id, [old, fresh]]);
    expect(left.map((r) => r.key)).toEqual([fresh]);
  });
});
