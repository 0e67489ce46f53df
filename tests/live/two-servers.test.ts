import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io } from 'socket.io-client';
import { startStack, type Stack } from '../support/stack';
import { collectRun, subscribe } from '../support/live';
import { spawnServer, type Proc } from '../support/processes';

let stack: Stack;
let serverB: Proc & { url: string };

beforeAll(async () => {
  stack = await startStack();
  serverB = await spawnServer(stack.env);
});
afterAll(async () => {
  await serverB.stop();
  await stack.stop();
});

describe('several servers on one Redis', () => {
  it('a client on server A sees, live, a run started through server B', async () => {
    const token = stack.admin.token;
    const onA = stack.connect(token);
    const watch = collectRun(onA);
    expect(await subscribe(onA, { topic: 'dashboard' })).toEqual({ ok: true });

    const post = (path: string, body: unknown) =>
      fetch(serverB.url + path, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).then((r) => r.json() as Promise<{ id: string }>);
    const job = await post('/api/jobs', { name: 'via B', type: 'shell', params: { script: 'echo from B' } });
    const run = await post(`/api/jobs/${job.id}/runs`, {});
    const final = await watch.untilFinal(run.id);
    expect(final.status).toBe('succeeded');
    expect(final.jobName).toBe('via B');
  });

  it('a session token from one server works on the other, sockets included', async () => {
    const socket = io(serverB.url, { auth: { token: stack.admin.token }, transports: ['websocket'], forceNew: true });
    try {
      const ack = await new Promise((resolve) => socket.emit('subscribe', { topic: 'dashboard' }, resolve));
      expect(ack).toEqual({ ok: true });
    } finally {
      socket.disconnect();
    }
  });
});
