import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntryDto, CreatedTokenDto, JobDto, LoginResponse, Page, RunDto } from '@jobflow/shared';
import { createAuditLog } from '@jobflow/server';
import { startStack, type Reply, type Stack } from '../support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ workers: 0 });
});
afterAll(() => stack.stop());

const admin = () => stack.admin.token;
const UA = { 'user-agent': 'audit-test/2.0' };

async function allEntries(query = ''): Promise<AuditEntryDto[]> {
  const out: AuditEntryDto[] = [];
  let cursor: string | null = null;
  do {
    const res: Reply<Page<AuditEntryDto>> = await stack.request<Page<AuditEntryDto>>('GET', `/api/audit?limit=3${query}${cursor ? `&cursor=${cursor}` : ''}`, {
      token: admin(),
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    out.push(...res.body.items);
    cursor = res.body.nextCursor;
  } while (cursor);
  return out;
}

describe('the audit log records who did what, when and from where', () => {
  it('sign-ins, tokens, users, jobs and runs, each with its actor, address and user agent; secrets masked', async () => {
    const user = await stack.createUser();
    const failed = await stack.request<LoginResponse>('POST', '/api/auth/login', { body: { email: user.email, password: 'not-it' }, headers: UA });
    expect(failed.status).toBe(401);
    const token = await stack.request<CreatedTokenDto>('POST', '/api/tokens', { token: user.token, body: { name: 'ci' }, headers: UA });
    const apiToken = token.body.token as string;
    const secret = 'a-very-secret-webhook-key-7890';
    const job = await stack.request<JobDto>('POST', '/api/jobs', {
      token: apiToken,
      headers: UA,
      body: {
        name: 'audited',
        type: 'sleep',
        params: { seconds: 30 },
        notifications: [{ kind: 'webhook', on: ['failed'], url: 'https://hooks.example.com/x', secret }],
      },
    });
    expect(job.status).toBe(201);
    await stack.request<JobDto>('PATCH', `/api/jobs/${job.body.id}`, { token: user.token, headers: UA, body: { name: 'audited, renamed' } });
    const run = await stack.request<RunDto>('POST', `/api/jobs/${job.body.id}/runs`, { token: user.token, headers: UA, body: {} });
    await stack.request('POST', `/api/runs/${run.body.id}/cancel`, { token: user.token, headers: UA });
    const rerun = await stack.request<RunDto>('POST', `/api/runs/${run.body.id}/rerun`, { token: user.token, headers: UA, body: {} });
    await stack.request('POST', `/api/runs/${rerun.body.id}/cancel`, { token: user.token, headers: UA });
    await stack.request('DELETE', `/api/jobs/${job.body.id}`, { token: user.token, headers: UA });
    await stack.request('DELETE', `/api/tokens/${token.body.id}`, { token: user.token, headers: UA });
    await stack.request('PATCH', `/api/users/${user.id}`, { token: admin(), headers: UA, body: { role: 'admin' } });
    await stack.request('PATCH', `/api/users/${user.id}`, { token: admin(), headers: UA, body: { disabled: true } });
    await stack.request('PATCH', `/api/users/${user.id}`, { token: admin(), headers: UA, body: { disabled: false } });
    const again = await stack.request<LoginResponse>('POST', '/api/auth/login', { body: { email: user.email, password: user.password }, headers: UA });
    await stack.request('POST', '/api/auth/logout', { token: again.body.token, headers: UA });
    await stack.request('PATCH', `/api/users/${user.id}`, { token: admin(), headers: UA, body: { role: 'user' } });
    await stack.request('DELETE', `/api/users/${user.id}`, { token: admin(), headers: UA });

    // Run starts are written without the request waiting for them: they arrive a moment later.
    for (let i = 0; (await allEntries(`&action=run.rerun&targetId=${rerun.body.id}`)).length === 0; i++) {
      if (i > 100) throw new Error('the rerun entry never arrived');
      await new Promise((r) => setTimeout(r, 50));
    }
    const mine = (await allEntries()).filter(
      (e) => e.actor.userId === user.id || e.target.id === user.id || e.target.id === job.body.id || e.changes?.email === user.email,
    );
    const actions = new Set(mine.map((e) => e.action));
    for (const action of [
      'session.signed_in',
      'session.sign_in_failed',
      'session.signed_out',
      'token.created',
      'token.revoked',
      'user.created',
      'user.changed',
      'user.disabled',
      'user.enabled',
      'user.deleted',
      'job.created',
      'job.changed',
      'job.deleted',
      'run.started',
      'run.cancelled',
      'run.rerun',
    ]) {
      expect(actions, action).toContain(action);
    }
    const created = mine.find((e) => e.action === 'job.created')!;
    expect(created.actor).toEqual({ userId: user.id, tokenId: token.body.id, email: user.email });
    expect(created).toMatchObject({ ip: '127.0.0.1', userAgent: 'audit-test/2.0', target: { type: 'job', id: job.body.id } });
    expect(mine.find((e) => e.action === 'job.changed')!.changes).toEqual({ name: { before: 'audited', after: 'audited, renamed' } });
    expect(mine.find((e) => e.action === 'session.sign_in_failed')!.changes).toMatchObject({ email: user.email, reason: 'wrong password' });
    expect(mine.find((e) => e.action === 'user.changed' && (e.changes?.role as { after?: string })?.after === 'admin')!.changes).toEqual({
      role: { before: 'user', after: 'admin' },
      sessionsEnded: true,
    });
    // The webhook's secret appears only masked, as the API shows it.
    const text = JSON.stringify(mine);
    expect(text).not.toContain(secret);
    expect(text).toContain('****7890');
  });

  it('filters by actor, action, target and time, newest first, in keyset pages without repeats', async () => {
    const before = new Date(Date.now() - 1000).toISOString();
    const a = await stack.request<JobDto>('POST', '/api/jobs', { token: admin(), body: { name: 'f1', type: 'sleep', params: { seconds: 1 } } });
    await stack.request<JobDto>('PATCH', `/api/jobs/${a.body.id}`, { token: admin(), body: { description: 'one' } });
    await stack.request<JobDto>('PATCH', `/api/jobs/${a.body.id}`, { token: admin(), body: { description: 'two' } });
    await stack.request<JobDto>('PATCH', `/api/jobs/${a.body.id}`, { token: admin(), body: { description: 'three' } });
    const entries = await allEntries(`&targetType=job&targetId=${a.body.id}&actor=${stack.admin.id}&since=${before}`);
    expect(entries.map((e) => e.action)).toEqual(['job.changed', 'job.changed', 'job.changed', 'job.created']);
    expect(entries.map((e) => (e.changes?.description as { after: string } | undefined)?.after)).toEqual(['three', 'two', 'one', undefined]);
    expect(new Set(entries.map((e) => e.id)).size).toBe(entries.length);
    const times = entries.map((e) => Date.parse(e.at));
    expect([...times].sort((x, y) => y - x)).toEqual(times);
    expect(await allEntries(`&targetId=${a.body.id}&until=${before}`)).toEqual([]);
    for (const bad of ['action=nope', 'targetType=planet', 'actor=someone', 'since=yesterday', 'until=0000-01-01T00:00:00Z']) {
      expect((await stack.request<Page<AuditEntryDto>>('GET', `/api/audit?${bad}`, { token: admin() })).status, bad).toBe(400);
    }
    const user = await stack.createUser();
    expect((await stack.request<Page<AuditEntryDto>>('GET', '/api/audit', { token: user.token })).status).toBe(403);
  });

  it('is append-only: the database refuses to change or delete entries, except the retention purge of old ones', async () => {
    const { db, log } = stack.app.deps;
    const sql = stack.sql;
    await expect(sql(`update audit_log set action = 'user.created'`)).rejects.toThrow(/append-only/);
    await expect(sql(`delete from audit_log`)).rejects.toThrow(/append-only/);
    await expect(sql(`truncate audit_log`)).rejects.toThrow(/append-only/);
    const count = async () => Number((await sql<{ n: string }>(`select count(*) as n from audit_log`))[0]!.n);
    const fresh = await count();
    await sql(
      `insert into audit_log (at, action, target_type, ip) select now() - (i || ' days')::interval, 'session.signed_in', 'session', '192.0.2.1' from generate_series(400, 402) as i`,
    );
    const audit = createAuditLog({ db, log });
    expect(await audit.purge(365, 2)).toBe(2);
    expect(await audit.purge(365, 2)).toBe(1);
    expect(await count()).toBe(fresh);
    // Even the purge cannot take entries from the last day.
    await expect(audit.purge(0, 10)).rejects.toThrow(/append-only/);
    expect(await count()).toBe(fresh);
  });
});
