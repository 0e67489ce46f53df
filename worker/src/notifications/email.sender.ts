import nodemailer from 'nodemailer';
import type { StoredNotificationTarget } from '@jobflow/core/notifications';
import type { WorkerConfig } from '../config';
import { DeliveryError } from './delivery-error';
import { facts, headline, type NotificationMessage } from './notification-message';

const escHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Subject, plain-text and HTML parts of a run's email. */
export function emailContent(m: NotificationMessage): { subject: string; text: string; html: string } {
  const rows = facts(m);
  const log = m.lastLines.map((l) => l.text);
  const text = [
    `${headline(m)}.`,
    '',
    ...rows.map(([k, v]) => `${k}: ${v}`),
    ...(log.length ? ['', 'Last log lines:', ...log.map((l) => `  ${l}`)] : []),
    '',
    `Open the run: ${m.link}`,
  ].join('\n');
  const html = `<!doctype html><html><body style="font-family:sans-serif">
<p><strong>${escHtml(m.run.jobName)}</strong> ${escHtml(m.event)}.</p>
<table cellpadding="4">${rows.map(([k, v]) => `<tr><th align="left">${escHtml(k)}</th><td>${escHtml(v)}</td></tr>`).join('')}</table>
${log.length ? `<p>Last log lines:</p><pre style="background:#f4f4f4;padding:8px">${escHtml(log.join('\n'))}</pre>` : ''}
<p><a href="${escHtml(m.link)}">Open the run</a></p>
</body></html>`;
  return { subject: `[Jobflow] ${headline(m)}`, text, html };
}

export type EmailSender = {
  send(target: Extract<StoredNotificationTarget, { kind: 'email' }>, m: NotificationMessage): Promise<string>;
  close(): void;
};

/** Sends over the configured SMTP server; without one, every email fails at once (not retried). */
export function createEmailSender(smtp: WorkerConfig['smtp'], timeoutMs: number): EmailSender {
  if (!smtp) {
    return {
      send: async () => {
        throw new DeliveryError('email is not configured on this worker (set SMTP_HOST)', true);
      },
      close() {},
    };
  }
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    auth: smtp.user ? { user: smtp.user, pass: smtp.password ?? '' } : undefined,
    tls: { rejectUnauthorized: smtp.rejectUnauthorized },
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
  return {
    async send(target, m) {
      const content = emailContent(m);
      try {
        const info = await transport.sendMail({ from: smtp.from, to: target.to, ...content, headers: { 'X-Jobflow-Delivery': m.deliveryId } });
        return `accepted by ${smtp.host}${info.messageId ? ` as ${info.messageId}` : ''}`;
      } catch (e) {
        const err = e as Error & { responseCode?: number };
        // 5xx from the server is a refusal that will not change; anything else (4xx, network) may pass later.
        throw new DeliveryError(err.message.split('\n')[0] ?? 'sending failed', (err.responseCode ?? 0) >= 500);
      }
    },
    close: () => transport.close(),
  };
}
