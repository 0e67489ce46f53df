import type { StoredNotificationTarget } from '@jobflow/core/notifications';
import type { Egress } from '@jobflow/core/platform';
import { DeliveryError, describeFetchError, isPermanentStatus } from './delivery-error';
import { facts, headline, type NotificationMessage } from './notification-message';

const ICONS: Record<NotificationMessage['event'], string> = {
  started: ':arrow_forward:',
  succeeded: ':white_check_mark:',
  failed: ':x:',
  cancelled: ':no_entry_sign:',
};
const MAX_LOG_CHARS = 2800;

/** Slack's mrkdwn needs only &, < and > escaped. */
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The incoming-webhook message: a plain `text` fallback and Block Kit blocks. */
export function slackPayload(m: NotificationMessage) {
  const title = `${ICONS[m.event]} *<${m.link}|${esc(m.run.jobName)}>* ${m.event}`;
  const blocks: object[] = [
    { type: 'section', text: { type: 'mrkdwn', text: title } },
    { type: 'section', fields: facts(m).map(([label, value]) => ({ type: 'mrkdwn', text: `*${label}*\n${esc(value).slice(0, 1900)}` })) },
  ];
  if (m.lastLines.length) {
    let text = m.lastLines.map((l) => l.text).join('\n');
    if (text.length > MAX_LOG_CHARS) text = '…' + text.slice(-MAX_LOG_CHARS);
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `*Last log lines*\n\`\`\`${esc(text.replace(/```/g, "'''"))}\`\`\`` } });
  }
  blocks.push({ type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open run' }, url: m.link }] });
  return { text: `${headline(m)} (${m.run.status}): ${m.link}`, blocks };
}

export async function sendSlack(
  target: Extract<StoredNotificationTarget, { kind: 'slack' }>,
  m: NotificationMessage,
  opts: { timeoutMs: number; userAgent: string; egress: Egress },
): Promise<string> {
  let res: Response;
  try {
    res = await opts.egress.fetch(new URL(target.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': opts.userAgent },
      body: JSON.stringify(slackPayload(m)),
      signal: AbortSignal.timeout(opts.timeoutMs),
    });
    // The answer's body is not kept: whatever a target says goes nowhere near the run's log.
    await res.body?.cancel().catch(() => {});
  } catch (e) {
    throw describeFetchError(e, opts.timeoutMs);
  }
  if (res.ok) return `HTTP ${res.status}`;
  throw new DeliveryError(`HTTP ${res.status}${res.status >= 300 && res.status < 400 ? ' (redirects are not followed)' : ''}`, isPermanentStatus(res.status));
}
