import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobDto } from '@jobflow/shared';
import { startStack, type Stack } from '../support/stack';
import { subscribe } from '../support/live';
import { waitFor } from '../support/wait';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.stop());

describe('live jobs', () => {
  it('dashboard subscribers see jobs created, changed and deleted', async () => {
    const token = stack.admin.token;
    const socket = stack.connect(token);
    const events: { type: string; id: string }[] = [];
    socket.on('job:updated', (j) => events.push({ type: 'updated', id: j.id }));
    socket.on('job:deleted', (j) => events.push({ type: 'deleted', id: j.id }));
    await subscribe(socket, { topic: 'dashboard' });
    const job = await stack.createJob({ type: 'shell', params: { script: 'true' } });
    await stack.request<JobDto>('PATCH', `/api/jobs/${job.id}`, { token, body: { name: 'renamed' } });
    await stack.request('DELETE', `/api/jobs/${job.id}`, { token });
    await waitFor(() => events.length >= 3, 'three job events');
    expect(events).toEqual([
      { type: 'updated', id: job.id },
      { type: 'updated', id: job.id },
      { type: 'deleted', id: job.id },
    ]);
  });
});
