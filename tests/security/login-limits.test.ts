import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntryDto, LoginResponse, Page, UserDto } from '@jobflow/shared';
import { errorOf, startStack, type Stack } from '../support/stack';

let stack: Stack;
let proxied: Stack;

beforeAll(async () => {
  stack = await startStack({ workers: 0 });
  // Behind one reverse proxy: X-Forwarded-For's last entry is the client.
  proxied = await startStack({ workers: 0, server: { trustProxyHops: 1 } });
});
afterAll(async () => {
  await proxied.stop();
  await stack.stop();
});

const login = (s: Stack, email: string, password: string, forwardedFor?: string) =>
  s.request<LoginResponse>('POST', '/api/auth/login', { body: { email, password }, headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {} });

describe('one spelling of an email for storage, lookup and the limiter', () => {
  it('stores emails normalised and finds them however they are typed in case', async () => {
    const created = await stack.request<UserDto>('POST', '/api/users', {
      token: stack.admin.token,
      body: { email: 'Mixed.Case@Example.COM', password: 'a-password-1', role: 'user' },
    });
    expect(created.status).toBe(201);
    expect(created.body.email).toBe('mixed.case@example.com');
    expect((await login(stack, 'MIXED.case@example.com', 'a-password-1')).status).toBe(200);
    const clash = await stack.request<UserDto>('POST', '/api/users', {
      token: stack.admin.token,
      body: { email: 'mixed.CASE@example.com', password: 'a-password-1', role: 'user' },
    });
    expect(clash.status).toBe(409);
  });

  it('an address spelled with U+0130 (İ) neither reaches the account nor gets a count of its own', async () => {
    const created = await stack.request<UserDto>('POST', '/api/users', {
      token: stack.admin.token,
      body: { email: 'tim@example.com', password: 'a-password-1', role: 'user' },
    });
    expect(created.status).toBe(201);
    // PostgreSQL's lower('İ') is 'i', JavaScript's is 'i̇': looked up by one and counted by the other, this was another door into tim@.
    const dotted = await login(stack, 'TİM@example.com', 'a-password-1');
    expect(dotted.status).toBe(401);
    expect(errorOf(dotted).code).toBe('invalid_credentials');
    for (let i = 0; i < 10; i++) await login(stack, 'tim@example.com', 'wrong-password');
    for (const spelling of ['tim@example.com', 'TIM@EXAMPLE.COM', ' Tim@Example.com ']) {
      expect((await login(stack, spelling, 'a-password-1')).status, spelling).toBe(429);
    }
  });
});

describe('attempts are counted before the password is checked', () => {
  it('30 parallel wrong passwords: at most the limit (10) are verified, the rest are refused unverified', async () => {
    const victim = await stack.createUser();
    const answers = await Promise.all(Array.from({ length: 30 }, () => login(stack, victim.email, 'wrong-password')));
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(10);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(20);
    expect(statuses.every((s) => s === 401 || s === 429)).toBe(true);
    const audited = await stack.sql<{ n: string }>(`select count(*) as n from audit_log where action = 'session.sign_in_failed' and actor_user_id = $1`, [
      victim.id,
    ]);
    expect(Number(audited[0]!.n)).toBeLessThanOrEqual(10);
  });
});

describe('behind a proxy (TRUST_PROXY)', () => {
  it('a stranger failing from their address does not lock the owner out from theirs', async () => {
    const owner = await proxied.createUser();
    for (let i = 0; i < 12; i++) await login(proxied, owner.email, 'wrong-password', '203.0.113.50');
    const stranger = await login(proxied, owner.email, owner.password, '203.0.113.50');
    expect(stranger.status).toBe(429);
    expect(Number(stranger.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await login(proxied, owner.email, owner.password, '198.51.100.7')).status).toBe(200);
    // Each client has its own address: the proxy's own address is not one shared bucket.
    expect((await login(proxied, owner.email, owner.password, '198.51.100.8')).status).toBe(200);
  });

  it('an address failing across many accounts hits the looser per-address limit', async () => {
    const users = await Promise.all(Array.from({ length: 11 }, () => proxied.createUser()));
    let refused = 0;
    for (const u of users) {
      for (let i = 0; i < 10; i++) if ((await login(proxied, u.email, 'wrong-password', '203.0.113.77')).status === 429) refused++;
    }
    expect(refused).toBeGreaterThan(0);
    const last = users[users.length - 1]!;
    const blocked = await login(proxied, last.email, last.password, '203.0.113.77');
    expect(blocked.status).toBe(429);
    expect(errorOf(blocked).message).toMatch(/address/);
  });

  it('the address a client writes itself is never believed, with or without a proxy', async () => {
    const owner = await stack.createUser();
    // No proxy trusted: rotating X-Forwarded-For does not give fresh counts.
    for (let i = 0; i < 10; i++) await login(stack, owner.email, 'wrong-password', `192.0.2.${i}`);
    expect((await login(stack, owner.email, owner.password, '192.0.2.200')).status).toBe(429);
    // One proxy trusted: only the entry it appended (the last) counts, not what the client put before it.
    const other = await proxied.createUser();
    for (let i = 0; i < 10; i++) await login(proxied, other.email, 'wrong-password', `10.9.9.${i}, 203.0.113.99`);
    expect((await login(proxied, other.email, other.password, '10.9.9.200, 203.0.113.99')).status).toBe(429);
  });

  it('the audit log records the client address the trusted proxy reports', async () => {
    const user = await proxied.createUser();
    await proxied.request<LoginResponse>('POST', '/api/auth/login', {
      body: { email: user.email, password: user.password },
      headers: { 'x-forwarded-for': '198.51.100.23', 'user-agent': 'limits-test/1.0' },
    });
    const entries = await proxied.request<Page<AuditEntryDto>>('GET', `/api/audit?actor=${user.id}&action=session.signed_in`, { token: proxied.admin.token });
    expect(entries.status).toBe(200);
    expect(entries.body.items[0]).toMatchObject({ ip: '198.51.100.23', userAgent: 'limits-test/1.0', actor: { userId: user.id } });
  });
});
