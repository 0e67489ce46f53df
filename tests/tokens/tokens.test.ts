import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreatedTokenDto, JobDto, Page, TokenDto, UserDto } from '@jobflow/shared';
import { errorOf, startStack, type LiveSocket, type Stack, type TestUser } from '../support/stack';
import { subscribe } from '../support/live';
import { killAll, spawnServer } from '../support/processes';
import { waitFor, within as withinMs } from '../support/wait';

const within = <T>(promise: Promise<T>, what: string) => withinMs(promise, what, WAIT_MS);

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await killAll();
  await stack.stop();
});

/** A bound on waits, so a broken server fails the test instead of hanging it; never a pass/fail threshold. */
const WAIT_MS = 10_000;

const connected = (socket: LiveSocket) =>
  within(
    new Promise<void>((resolve, reject) => {
      if (socket.connected) return resolve();
      socket.once('connect', () => resolve());
      socket.once('connect_error', (e) => reject(new Error(`connect_error: ${e.message}`)));
    }),
    'the socket to connect',
  );

const nextDisconnect = (socket: LiveSocket) =>
  within(new Promise<string>((resolve) => socket.once('disconnect', (reason) => resolve(reason))), 'the socket to be disconnected');

/** Tries to connect again and returns the connect_error message the server answers with. */
const refusal = (socket: LiveSocket) => {
  const answer = within(
    new Promise<string>((resolve) => {
      socket.once('connect_error', (e) => resolve(e.message));
      socket.once('connect', () => resolve('connected'));
    }),
    'the server to answer a reconnect',
  );
  socket.connect();
  return answer;
};

async function createToken(owner: TestUser, body: Record<string, unknown> = { name: 'ci' }) {
  const res = await stack.request<CreatedTokenDto>('POST', '/api/tokens', { token: owner.token, body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

const me = (token: string) => stack.request<{ user: UserDto }>('GET', '/api/auth/me', { token });

describe('API tokens', () => {
  it('are shown once at creation, then listed without the secret, and stored only as a hash', async () => {
    const user = await stack.createUser();
    const created = await createToken(user, { name: 'deploy bot' });
    expect(created.token).toMatch(/^jf_/);
    expect(created).toMatchObject({ name: 'deploy bot', expiresAt: null });

    const list = await stack.request<Page<TokenDto>>('GET', '/api/tokens', { token: user.token });
    expect(list.status).toBe(200);
    const listed = list.body.items.find((t: { id: string }) => t.id === created.id);
    expect(listed).toMatchObject({ id: created.id, name: 'deploy bot', createdAt: created.createdAt, expiresAt: null, lastUsedAt: null });
    expect(Object.keys(listed ?? {})).not.toContain('token');
    expect(JSON.stringify(list.body)).not.toContain(created.token);

    const rows = await stack.sql('select * from api_tokens where id = $1', [created.id]);
    expect(rows).toHaveLength(1);
    expect(Object.values(rows[0]!).map(String).join(' ')).not.toContain(created.token.slice(3));
  });

  it("work for REST and Socket.IO with their owner's role", async () => {
    const user = await stack.createUser();
    const { token } = await createToken(user);

    const who = await me(token);
    expect(who.status).toBe(200);
    expect(who.body.user).toMatchObject({ id: user.id, email: user.email, role: 'user' });
    expect(errorOf(await stack.request('GET', '/api/users', { token })).code).toBe('forbidden');
    const shell = await stack.request<JobDto>('POST', '/api/jobs', { token, body: { name: 'nope', type: 'shell', params: { script: 'true' } } });
    expect(shell.status).toBe(403);
    const sleep = await stack.request<JobDto>('POST', '/api/jobs', { token, body: { name: 'nap', type: 'sleep', params: { seconds: 0 } } });
    expect(sleep.status).toBe(201);
    expect(sleep.body.ownerId).toBe(user.id);

    const adminToken = (await createToken(stack.admin)).token;
    expect((await stack.request('GET', '/api/users', { token: adminToken })).status).toBe(200);

    const socket = stack.connect(token);
    await connected(socket);
    expect(await subscribe(socket, { topic: 'dashboard' })).toEqual({ ok: true });
    const seen = within(
      new Promise<{ name: string }>((resolve) => socket.on('job:updated', (job) => job.name === 'seen by token' && resolve(job))),
      'job:updated',
    );
    expect(
      (await stack.request<JobDto>('POST', '/api/jobs', { token: user.token, body: { name: 'seen by token', type: 'sleep', params: { seconds: 0 } } })).status,
    ).toBe(201);
    expect((await seen).name).toBe('seen by token');

    const bad = await me('jf_not-a-real-token');
    expect(bad.status).toBe(401);
    expect(errorOf(bad).code).toBe('unauthorized');
    const stranger = stack.connect('jf_not-a-real-token', { autoConnect: false });
    expect(await refusal(stranger)).toBe('unauthorized');
  });

  it('made with an expiring token, expire no later than it', async () => {
    const user = await stack.createUser();
    const expiresAt = new Date(Date.now() + 3600_000).toISOString();
    const parent = await createToken(user, { name: 'short', expiresAt });
    const forever = await stack.request<CreatedTokenDto>('POST', '/api/tokens', { token: parent.token, body: { name: 'forever' } });
    expect(forever.status).toBe(422);
    expect(errorOf(forever).details[0]?.path).toBe('/expiresAt');
    const longer = await stack.request<CreatedTokenDto>('POST', '/api/tokens', {
      token: parent.token,
      body: { name: 'longer', expiresAt: new Date(Date.now() + 7200_000).toISOString() },
    });
    expect(longer.status).toBe(422);
    const shorter = await stack.request<CreatedTokenDto>('POST', '/api/tokens', {
      token: parent.token,
      body: { name: 'shorter', expiresAt: new Date(Date.now() + 600_000).toISOString() },
    });
    expect(shorter.status).toBe(201);
    const fromSession = await stack.request<CreatedTokenDto>('POST', '/api/tokens', { token: user.token, body: { name: 'no expiry' } });
    expect(fromSession.status).toBe(201);
  });

  it('record when they were last used', async () => {
    const user = await stack.createUser();
    const created = await createToken(user);
    expect((await me(created.token)).status).toBe(200);
    // The use is recorded without holding up the request: poll until it shows.
    const lastUsedAt = await waitFor(
      async () => {
        const res = await stack.request<Page<TokenDto>>('GET', '/api/tokens', { token: user.token });
        return res.body.items.find((t) => t.id === created.id)?.lastUsedAt ?? null;
      },
      'lastUsedAt to be recorded',
      { timeoutMs: WAIT_MS },
    );
    expect(Date.parse(lastUsedAt)).toBeGreaterThanOrEqual(Date.parse(created.createdAt));
  });

  it('refuse an expiry in the past, and stop working at their expiry, sockets included', async () => {
    const user = await stack.createUser();
    const past = await stack.request<CreatedTokenDto>('POST', '/api/tokens', {
      token: user.token,
      body: { name: 'old', expiresAt: new Date(Date.now() - 60_000).toISOString() },
    });
    expect(past.status).toBe(422);
    expect(errorOf(past).code).toBe('validation_failed');
    expect(errorOf(past).details).toEqual([expect.objectContaining({ path: '/expiresAt' })]);

    const expiresAt = new Date(Date.now() + 3_000).toISOString();
    const created = await createToken(user, { name: 'short-lived', expiresAt });
    expect(created.expiresAt).toBe(expiresAt);
    expect((await me(created.token)).status).toBe(200);
    const socket = stack.connect(created.token);
    await connected(socket);
    const dropped = nextDisconnect(socket);

    expect(await dropped).toBe('io server disconnect');
    const after = await me(created.token);
    expect(after.status).toBe(401);
    expect(errorOf(after).code).toBe('unauthorized');
    expect(await refusal(socket)).toBe('unauthorized');
    // The user's own session is not affected.
    expect((await me(user.token)).status).toBe(200);
  });

  it("revoked: the next request is refused and the token's open socket is dropped, the owner's other sockets are not", async () => {
    const user = await stack.createUser();
    const created = await createToken(user);
    const tokenSocket = stack.connect(created.token);
    const sessionSocket = stack.connect(user.token);
    await Promise.all([connected(tokenSocket), connected(sessionSocket)]);
    expect(await subscribe(sessionSocket, { topic: 'dashboard' })).toEqual({ ok: true });
    const dropped = nextDisconnect(tokenSocket);

    const revoked = await stack.request('DELETE', `/api/tokens/${created.id}`, { token: user.token });
    expect(revoked.status).toBe(204);
    const next = await me(created.token);
    expect(next.status).toBe(401);
    expect(errorOf(next).code).toBe('unauthorized');

    expect(await dropped).toBe('io server disconnect');
    expect(await refusal(tokenSocket)).toBe('unauthorized');

    expect(sessionSocket.connected).toBe(true);
    const seen = within(
      new Promise<string>((resolve) => sessionSocket.on('job:updated', (job) => job.name === 'after revoke' && resolve(job.name))),
      'job:updated',
    );
    await stack.request<JobDto>('POST', '/api/jobs', { token: user.token, body: { name: 'after revoke', type: 'sleep', params: { seconds: 0 } } });
    expect(await seen).toBe('after revoke');

    const list = await stack.request<Page<TokenDto>>('GET', '/api/tokens', { token: user.token });
    expect(list.body.items.map((t: { id: string }) => t.id)).not.toContain(created.id);
    expect((await stack.request('DELETE', `/api/tokens/${created.id}`, { token: user.token })).status).toBe(404);
    expect((await stack.request('DELETE', '/api/tokens/not-a-token-id', { token: user.token })).status).toBe(404);
  });

  it('revoked on one server: its socket on another server process is dropped too', async () => {
    const user = await stack.createUser();
    const created = await createToken(user);
    const other = await spawnServer(stack.env);
    const { io } = await import('socket.io-client');
    const socket: LiveSocket = io(other.url, { auth: { token: created.token }, transports: ['websocket'], forceNew: true });
    try {
      await connected(socket);
      expect(await subscribe(socket, { topic: 'dashboard' })).toEqual({ ok: true });
      const dropped = nextDisconnect(socket);
      expect((await stack.request('DELETE', `/api/tokens/${created.id}`, { token: user.token })).status).toBe(204);
      expect(await dropped).toBe('io server disconnect');
      expect(await refusal(socket)).toBe('unauthorized');
    } finally {
      socket.disconnect();
      await other.stop();
    }
  }, 120_000);

  it("stop working while their user is disabled, with the user's sockets dropped", async () => {
    const user = await stack.createUser();
    const created = await createToken(user);
    const socket = stack.connect(created.token);
    await connected(socket);
    const dropped = nextDisconnect(socket);

    const disabled = await stack.request('PATCH', `/api/users/${user.id}`, { token: stack.admin.token, body: { disabled: true } });
    expect(disabled.status).toBe(200);
    expect((await me(created.token)).status).toBe(401);
    expect((await me(user.token)).status).toBe(401);
    expect(await dropped).toBe('io server disconnect');
    expect(await refusal(socket)).toBe('unauthorized');

    const enabled = await stack.request('PATCH', `/api/users/${user.id}`, { token: stack.admin.token, body: { disabled: false } });
    expect(enabled.status).toBe(200);
    expect((await me(created.token)).status).toBe(200);
  });

  it('stop working when their user is deleted', async () => {
    const user = await stack.createUser();
    const created = await createToken(user);
    expect((await stack.request('DELETE', `/api/users/${user.id}`, { token: stack.admin.token })).status).toBe(204);
    expect((await me(created.token)).status).toBe(401);
  });

  it('can be listed and revoked by an admin for any user', async () => {
    const user = await stack.createUser();
    const created = await createToken(user, { name: 'users token' });

    const own = await stack.request<Page<TokenDto>>('GET', '/api/tokens', { token: stack.admin.token });
    expect(own.body.items.map((t: { id: string }) => t.id)).not.toContain(created.id);
    const theirs = await stack.request<Page<TokenDto>>('GET', `/api/tokens?userId=${user.id}`, { token: stack.admin.token });
    expect(theirs.status).toBe(200);
    expect(theirs.body.items).toEqual([expect.objectContaining({ id: created.id, name: 'users token', userId: user.id })]);
    expect(JSON.stringify(theirs.body)).not.toContain(created.token);
    const everyone = await stack.request<Page<TokenDto>>('GET', '/api/tokens?userId=all&limit=200', { token: stack.admin.token });
    expect(everyone.body.items.map((t: { id: string }) => t.id)).toContain(created.id);

    const socket = stack.connect(created.token);
    await connected(socket);
    const dropped = nextDisconnect(socket);
    expect((await stack.request('DELETE', `/api/tokens/${created.id}`, { token: stack.admin.token })).status).toBe(204);
    expect((await me(created.token)).status).toBe(401);
    expect(await dropped).toBe('io server disconnect');
  });

  it('cannot be listed or revoked by another user', async () => {
    const owner = await stack.createUser();
    const other = await stack.createUser();
    const created = await createToken(owner);

    const revoke = await stack.request('DELETE', `/api/tokens/${created.id}`, { token: other.token });
    expect([403, 404]).toContain(revoke.status);
    expect(errorOf(revoke).code).toBe(revoke.status === 403 ? 'forbidden' : 'not_found');
    const peek = await stack.request('GET', `/api/tokens?userId=${owner.id}`, { token: other.token });
    expect(peek.status).toBe(403);
    const mine = await stack.request<Page<TokenDto>>('GET', '/api/tokens', { token: other.token });
    expect(mine.body.items).toEqual([]);

    expect((await me(created.token)).status).toBe(200);
  });
});
