import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobDto, Page } from '@jobflow/shared';
import { errorOf, startStack, type Reply, type Stack } from '../support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ workers: 0 });
});
afterAll(() => stack?.stop());

const SECRET = 'sixteen-chars-or-more-1234';
const create = (notifications: unknown) =>
  stack.request<JobDto>('POST', '/api/jobs', { token: stack.admin.token, body: { name: 'n', type: 'sleep', params: { seconds: 0 }, notifications } });
const paths = (res: Reply) => errorOf(res).details.map((d) => d.path);

describe('notification targets', () => {
  it.each([
    [[{ kind: 'webhook', on: ['failed'], url: 'https://example.test/hook' }], '/notifications/0/secret'],
    [[{ kind: 'webhook', on: ['failed'], url: 'https://example.test/hook', secret: 'short' }], '/notifications/0/secret'],
    [[{ kind: 'webhook', on: ['failed'], url: 'ftp://example.test/hook', secret: SECRET }], '/notifications/0/url'],
    [
      [
        { kind: 'email', on: ['failed'], to: ['ops@example.test'] },
        { kind: 'slack', on: ['failed'] },
      ],
      '/notifications/1/url',
    ],
    [[{ kind: 'slack', on: ['failed'], url: 'not a url' }], '/notifications/0/url'],
    [[{ kind: 'email', on: ['failed'], to: ['not-an-address'] }], '/notifications/0/to/0'],
    [[{ kind: 'email', on: [], to: ['ops@example.test'] }], '/notifications/0/on'],
    [[{ kind: 'email', on: ['exploded'], to: ['ops@example.test'] }], '/notifications/0/on/0'],
    [[{ kind: 'pager', on: ['failed'] }], '/notifications/0/kind'],
  ])('refuses %j with 422 naming %s', async (targets, path) => {
    const res = await create(targets);
    expect(res.status).toBe(422);
    expect(errorOf(res).code).toBe('validation_failed');
    expect(paths(res)).toContain(path);
  });

  it('never returns a secret in full, keeps it when sent back masked or omitted, and replaces it when a new one is sent', async () => {
    const slackUrl = 'https://hooks.slack.com/services/T0001/B0002/XXXXXXXXXXXXXXXXXXXXZZ99';
    const res = await create([
      { kind: 'webhook', on: ['failed', 'failed', 'succeeded'], url: 'https://example.test/hook', secret: SECRET },
      { kind: 'slack', on: ['started'], url: slackUrl },
    ]);
    expect(res.status).toBe(201);
    const [hook, slack] = res.body.notifications;
    expect(hook).toEqual({ id: expect.any(String), kind: 'webhook', on: ['failed', 'succeeded'], url: 'https://example.test/hook', secret: '****1234' });
    expect(slack).toEqual({ id: expect.any(String), kind: 'slack', on: ['started'], url: 'https://hooks.slack.com/****ZZ99' });
    for (const body of [
      res.body,
      (await stack.request<JobDto>('GET', `/api/jobs/${res.body.id}`, { token: stack.admin.token })).body,
      (await stack.request<Page<JobDto>>('GET', '/api/jobs', { token: stack.admin.token })).body,
    ]) {
      expect(JSON.stringify(body)).not.toContain(SECRET);
      expect(JSON.stringify(body)).not.toContain('XXXXXXXXXXXX');
    }

    const kept = await stack.request<JobDto>('PATCH', `/api/jobs/${res.body.id}`, {
      token: stack.admin.token,
      body: {
        notifications: [
          { ...hook, on: ['cancelled'] },
          { id: slack!.id, kind: 'slack', on: ['started', 'failed'] },
        ],
      },
    });
    expect(kept.status, JSON.stringify(kept.body)).toBe(200);
    expect(kept.body.notifications).toEqual([
      { ...hook, on: ['cancelled'] },
      { ...slack, on: ['started', 'failed'] },
    ]);

    const replaced = await stack.request<JobDto>('PATCH', `/api/jobs/${res.body.id}`, {
      token: stack.admin.token,
      body: { notifications: [{ ...hook, secret: 'a-brand-new-secret-5678' }] },
    });
    expect(replaced.body.notifications).toEqual([{ ...hook, secret: '****5678' }]);

    // A masked value that is not this target's is not a secret.
    const foreign = await stack.request<JobDto>('PATCH', `/api/jobs/${res.body.id}`, {
      token: stack.admin.token,
      body: { notifications: [{ kind: 'webhook', on: ['failed'], url: 'https://example.test/x', secret: '****1234' }] },
    });
    expect(foreign.status).toBe(422);
    expect(paths(foreign)).toEqual(['/notifications/0/secret']);
  });
});
