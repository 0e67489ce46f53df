import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOOPBACK_OPEN, startStack, type Stack } from '../support/stack';
import { eventually } from '../schedules/fake-scheduler';
import { startReceiver } from './receiver';

const PUBLIC_URL = 'https://jobflow.example.test/';

let stack: Stack;
let slack: Awaited<ReturnType<typeof startReceiver>>;
beforeAll(async () => {
  slack = await startReceiver();
  stack = await startStack({
    worker: { ...LOOPBACK_OPEN, publicUrl: PUBLIC_URL, notify: { maxAttempts: 3, retryBaseMs: 200, timeoutMs: 5000, concurrency: 5 } },
  });
});
afterAll(async () => {
  await stack?.stop();
  await slack?.close();
});

describe('Slack notifications', () => {
  it('posts an incoming-webhook message with status, job, duration, the last log lines and the link', async () => {
    const hook = `${slack.url}/services/T000/B000/abcdefghijklmnopqrstuvwx`;
    const created = await stack.request('POST', '/api/jobs', {
      token: stack.admin.token,
      body: {
        name: 'nightly <report>',
        type: 'shell',
        params: { script: 'for i in $(seq 1 15); do echo "line $i"; done; echo "a <b> & c" >&2; exit 3' },
        notifications: [{ kind: 'slack', on: ['failed'], url: hook }],
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    // The webhook URL is the secret of a Slack target: shown masked.
    expect(created.body.notifications[0].url).toBe(`${slack.url}/****uvwx`);
    expect(JSON.stringify(created.body)).not.toContain('abcdefghijklmnop');

    const run = await stack.request('POST', `/api/jobs/${created.body.id}/runs`, { token: stack.admin.token, body: {} });
    const runId = run.body.id as string;
    const req = await eventually(async () => slack.requests.find((r) => r.body?.blocks), 'the Slack message');
    const link = `https://jobflow.example.test/runs/${runId}`;
    expect(req.path).toBe('/services/T000/B000/abcdefghijklmnopqrstuvwx');
    expect(req.headers['content-type']).toBe('application/json');

    const final = (await stack.request('GET', `/api/runs/${runId}`, { token: stack.admin.token })).body;
    expect(final.status).toBe('failed');
    const body = req.body;
    expect(body.text).toBe(`nightly <report> failed (failed): ${link}`);
    expect(body.blocks[0]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: `:x: *<${link}|nightly &lt;report&gt;>* failed` } });
    const fields = Object.fromEntries(body.blocks[1].fields.map((f: { text: string }) => f.text.split('\n') as [string, string]));
    expect(fields).toMatchObject({ '*Status*': 'failed', '*Job*': 'nightly &lt;report&gt;', '*Attempt*': '1 of 1', '*Trigger*': 'manual' });
    expect(fields['*Duration*']).toMatch(/^\d+(\.\d)? m?s$/);
    expect(fields['*Error*']).toContain('handler_error');
    const logBlock = body.blocks.find((b: { text?: { text: string } }) => b.text?.text.startsWith('*Last log lines*'));
    const shown = logBlock.text.text.replace('*Last log lines*\n```', '').replace(/```$/, '').split('\n');
    expect(shown).toHaveLength(10);
    expect(shown).toContain('line 15');
    expect(shown).toContain('a &lt;b&gt; &amp; c');
    expect(shown).not.toContain('line 1');
    expect(body.blocks.at(-1)).toEqual({ type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open run' }, url: link }] });

    const logs = await eventually(async () => {
      const items = (await stack.request('GET', `/api/runs/${runId}/logs?limit=5000`, { token: stack.admin.token })).body.items as { text: string }[];
      return items.some((l) => l.text.startsWith('notification (failed) via Slack: delivered')) && items;
    }, 'the delivery line');
    expect(logs.at(-1)!.text).toBe('notification (failed) via Slack: delivered (HTTP 200), attempt 1 of 3');
    // Only the events the target asked for.
    expect(slack.requests).toHaveLength(1);
  });
});
