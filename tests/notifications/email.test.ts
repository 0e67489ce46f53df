import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobDto, LogPageDto, RunDto } from '@jobflow/shared';
import { startStack, type Stack } from '../support/stack';
import { waitFor } from '../support/wait';
import { decodeQuotedPrintable, startSmtp } from './receiver';

let stack: Stack;
let smtp: Awaited<ReturnType<typeof startSmtp>>;
beforeAll(async () => {
  smtp = await startSmtp({ user: 'jobflow', password: 'smtp-password' });
  stack = await startStack({
    worker: {
      publicUrl: 'https://jobflow.example.test',
      notify: { maxAttempts: 3, retryBaseMs: 200, timeoutMs: 5000, concurrency: 5 },
      smtp: {
        host: '127.0.0.1',
        port: smtp.port,
        secure: false,
        user: 'jobflow',
        password: 'smtp-password',
        from: 'Jobflow <jobflow@example.test>',
        rejectUnauthorized: true,
      },
    },
  });
});
afterAll(async () => {
  await stack?.stop();
  await smtp?.close();
});

/** The decoded body of the MIME part with `contentType`. */
function part(raw: string, contentType: string): string {
  const start = raw.indexOf(`Content-Type: ${contentType}`);
  expect(start, `a ${contentType} part`).toBeGreaterThan(-1);
  const rest = raw.slice(start);
  const headerEnd = rest.indexOf('\r\n\r\n');
  const headers = rest.slice(0, headerEnd);
  const body = rest.slice(headerEnd + 4).split(/\r\n--/)[0]!;
  if (/Content-Transfer-Encoding: quoted-printable/i.test(headers)) return decodeQuotedPrintable(body);
  if (/Content-Transfer-Encoding: base64/i.test(headers)) return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  return body;
}

describe('email notifications', () => {
  it('sends a plain-text and an HTML part over the configured SMTP server, signed in', async () => {
    const created = await stack.request<JobDto>('POST', '/api/jobs', {
      token: stack.admin.token,
      body: {
        name: 'backup',
        type: 'shell',
        params: { script: 'echo "copied 42 files"' },
        notifications: [{ kind: 'email', on: ['succeeded', 'failed'], to: ['ops@example.test', 'lead@example.test'] }],
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const run = await stack.request<RunDto>('POST', `/api/jobs/${created.body.id}/runs`, { token: stack.admin.token, body: {} });
    const runId = run.body.id as string;

    const mail = await waitFor(async () => smtp.messages[0], 'an email');
    expect(mail.user).toBe('jobflow');
    expect(mail.from).toBe('jobflow@example.test');
    expect(mail.to.sort()).toEqual(['lead@example.test', 'ops@example.test']);
    expect(mail.raw).toMatch(/^Subject: \[Jobflow\] backup succeeded\r$/m);
    expect(mail.raw).toMatch(/^Content-Type: multipart\/alternative;/m);
    const link = `https://jobflow.example.test/runs/${runId}`;
    const text = part(mail.raw, 'text/plain');
    expect(text).toContain('backup succeeded.');
    expect(text).toContain('Status: succeeded');
    expect(text).toContain('copied 42 files');
    expect(text).toContain(`Open the run: ${link}`);
    const html = part(mail.raw, 'text/html');
    expect(html).toContain(`<a href="${link}">Open the run</a>`);
    expect(html).toContain('<td>succeeded</td>');

    const logs = await waitFor(async () => {
      const items = (await stack.request<LogPageDto>('GET', `/api/runs/${runId}/logs`, { token: stack.admin.token })).body.items as {
        stream: string;
        text: string;
      }[];
      return items.find((l) => l.text.startsWith('notification (succeeded) via email')) ?? false;
    }, 'the delivery line');
    expect(logs.stream).toBe('system');
    expect(logs.text).toMatch(
      /^notification \(succeeded\) via email to ops@example\.test, lead@example\.test: delivered \(accepted by 127\.0\.0\.1 as <.+>\), attempt 1 of 3$/,
    );
    expect(smtp.messages).toHaveLength(1);
  });
});
