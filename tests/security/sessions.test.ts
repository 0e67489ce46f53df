import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ack, CreatedTokenDto } from '@jobflow/shared';
import { startStack, type Stack, type TestUser } from '../support/stack';
import { spawnServer, type Proc } from '../support/processes';
import { waitFor } from '../support/wait';

let stack: Stack;
let serverB: Proc & { url: string };

beforeAll(async () => {
  // Server A believes one proxy (for the Secure cookie check); server B, a separate process on the same Redis, none.
  stack = await startStack({ workers: 0, server: { trustProxyHops: 1 } });
  serverB = await spawnServer(stack.env);
});
afterAll(async () => {
  await serverB.stop();
  await stack.stop();
});

const opened: Socket[] = [];
afterAll(() => opened.forEach((s) => s.disconnect()));

/** A real socket.io-client socket on `url`, with a token or with the browser's session cookie. */
async function liveSocket(url: string, credential: { token: string } | { cookie: string; origin?: string }): Promise<Socket> {
  const socket = io(url, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    ...('token' in credential
      ? { auth: { token: credential.token } }
      : { extraHeaders: { cookie: credential.cookie, ...(credential.origin ? { origin: credential.origin } : {}) } }),
  });
  opened.push(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (e) => reject(e));
  });
  const ack = await new Promise<Ack>((resolve) => socket.emit('subscribe', { topic: 'dashboard' }, resolve));
  expect(ack.ok).toBe(true);
  return socket;
}

const statusOf = async (url: string, token: string) => (await fetch(`${url}/api/auth/me`, { headers: { authorization: `Bearer ${token}` } })).status;

const onBothServers = async (token: string) => [await statusOf(stack.baseUrl, token), await statusOf(serverB.url, token)];

async function apiToken(user: TestUser): Promise<string> {
  const res = await stack.request<CreatedTokenDto>('POST', '/api/tokens', { token: user.token, body: { name: 'script' } });
  expect(res.status).toBe(201);
  return res.body.token;
}

async function login(email: string, password: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}, url = stack.baseUrl) {
  return fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ email, password, ...extra }),
  });
}

const patchUser = (id: string, body: Record<string, unknown>) => stack.request('PATCH', `/api/users/${id}`, { token: stack.admin.token, body });

describe('sessions end at once, on every server, sockets included', () => {
  it('a password change ends earlier sessions; API tokens go on unless revoked with the reset', async () => {
    const user = await stack.createUser();
    const token = await apiToken(user);
    const sessionA = await liveSocket(stack.baseUrl, { token: user.token });
    const sessionB = await liveSocket(serverB.url, { token: user.token });
    const tokenB = await liveSocket(serverB.url, { token });
    expect(await onBothServers(user.token)).toEqual([200, 200]);

    expect((await patchUser(user.id, { password: 'a-new-password-1' })).status).toBe(200);
    expect(await onBothServers(user.token)).toEqual([401, 401]);
    await waitFor(() => sessionA.disconnected && sessionB.disconnected, 'the session sockets to be disconnected', { timeoutMs: 10_000 });
    expect(await onBothServers(token)).toEqual([200, 200]);
    expect(tokenB.connected).toBe(true);
    expect(await new Promise<Ack>((resolve) => tokenB.emit('subscribe', { topic: 'dashboard' }, resolve))).toEqual({ ok: true });
    // The old password no longer signs in; the new one does.
    expect((await login(user.email, user.password)).status).toBe(401);
    const fresh = await login(user.email, 'a-new-password-1');
    expect(fresh.status).toBe(200);

    expect((await patchUser(user.id, { password: 'a-new-password-2', revokeTokens: true })).status).toBe(200);
    expect(await onBothServers(token)).toEqual([401, 401]);
    await waitFor(() => tokenB.disconnected, 'the API token socket to be disconnected', { timeoutMs: 10_000 });
    expect(await onBothServers(((await fresh.json()) as { token: string }).token)).toEqual([401, 401]);
    expect((await patchUser(user.id, { revokeTokens: true })).status).toBe(422);
  });

  it('disabling ends sessions, and re-enabling does not revive them', async () => {
    const user = await stack.createUser();
    const socket = await liveSocket(serverB.url, { token: user.token });
    expect((await patchUser(user.id, { disabled: true })).status).toBe(200);
    await waitFor(() => socket.disconnected, 'the socket to be disconnected', { timeoutMs: 10_000 });
    expect((await patchUser(user.id, { disabled: false })).status).toBe(200);
    expect(await onBothServers(user.token)).toEqual([401, 401]);
    const again = io(serverB.url, { auth: { token: user.token }, transports: ['websocket'], forceNew: true, reconnection: false });
    opened.push(again);
    expect(await new Promise((resolve) => again.once('connect_error', (e) => resolve(e.message)))).toBe('unauthorized');
    expect((await login(user.email, user.password)).status).toBe(200);
  });

  it('a role change ends sessions', async () => {
    const user = await stack.createUser();
    const socket = await liveSocket(stack.baseUrl, { token: user.token });
    expect((await patchUser(user.id, { role: 'admin' })).status).toBe(200);
    await waitFor(() => socket.disconnected, 'the socket to be disconnected', { timeoutMs: 10_000 });
    expect(await onBothServers(user.token)).toEqual([401, 401]);
    expect((await patchUser(user.id, { name: 'Renamed' })).status).toBe(200);
  });

  it('POST /api/auth/logout ends every session of the user on every server; API tokens stay', async () => {
    const user = await stack.createUser();
    const other = await login(user.email, user.password);
    const otherToken = ((await other.json()) as { token: string }).token;
    const token = await apiToken(user);
    const onB = await liveSocket(serverB.url, { token: otherToken });
    const res = await fetch(`${serverB.url}/api/auth/logout`, { method: 'POST', headers: { authorization: `Bearer ${user.token}` } });
    expect(res.status).toBe(204);
    expect(res.headers.get('set-cookie')).toMatch(/^jf_session=;.*Max-Age=0/);
    expect(await onBothServers(user.token)).toEqual([401, 401]);
    expect(await onBothServers(otherToken)).toEqual([401, 401]);
    await waitFor(() => onB.disconnected, 'the socket to be disconnected', { timeoutMs: 10_000 });
    expect(await onBothServers(token)).toEqual([200, 200]);
    expect((await fetch(`${stack.baseUrl}/api/auth/logout`, { method: 'POST' })).status).toBe(401);
  });
});

describe('the browser session is an HttpOnly SameSite=Strict cookie', () => {
  const cookieOf = (res: Response) => /^(jf_session=[^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1];

  it('a cookie sign-in returns no token and sets the cookie; requests and sockets on both servers use it', async () => {
    const user = await stack.createUser();
    const res = await login(user.email, user.password, { session: 'cookie' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).not.toHaveProperty('token');
    expect(body.user).toMatchObject({ id: user.id });
    const setCookie = res.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).toMatch(/Path=\//);
    expect(setCookie).not.toMatch(/Secure/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const cookie = cookieOf(res)!;

    for (const url of [stack.baseUrl, serverB.url]) {
      const me = await fetch(`${url}/api/auth/me`, { headers: { cookie } });
      expect(me.status).toBe(200);
      expect(((await me.json()) as { user: { id: string } }).user.id).toBe(user.id);
    }
    const socket = await liveSocket(serverB.url, { cookie });
    expect(socket.connected).toBe(true);

    // Changes signed in by the cookie must say they are JSON: no cross-site form can.
    const job = { name: 'by cookie', type: 'sleep', params: { seconds: 1 } };
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', undefined]) {
      const refused = await fetch(`${stack.baseUrl}/api/jobs`, {
        method: 'POST',
        headers: { cookie, ...(type ? { 'content-type': type } : {}) },
        body: JSON.stringify(job),
      });
      expect(refused.status, String(type)).toBe(415);
    }
    const made = await fetch(`${stack.baseUrl}/api/jobs`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      body: JSON.stringify(job),
    });
    expect(made.status).toBe(201);

    // Another origin cannot ride the cookie into a socket.
    await expect(liveSocket(serverB.url, { cookie, origin: 'https://evil.example' })).rejects.toThrow('unauthorized');

    // Signing out through the cookie ends it everywhere, the socket included.
    const out = await fetch(`${serverB.url}/api/auth/logout`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' } });
    expect(out.status).toBe(204);
    await waitFor(() => socket.disconnected, 'the cookie socket to be disconnected', { timeoutMs: 10_000 });
    expect((await fetch(`${stack.baseUrl}/api/auth/me`, { headers: { cookie } })).status).toBe(401);
  });

  it('the cookie is Secure when the client came over https through a trusted proxy, and only then', async () => {
    const user = await stack.createUser();
    const behindProxy = await login(user.email, user.password, { session: 'cookie' }, { 'x-forwarded-proto': 'https' });
    expect(behindProxy.headers.get('set-cookie')).toMatch(/; Secure/);
    const untrusted = await login(user.email, user.password, { session: 'cookie' }, { 'x-forwarded-proto': 'https' }, serverB.url);
    expect(untrusted.headers.get('set-cookie')).not.toMatch(/Secure/);
  });
});
