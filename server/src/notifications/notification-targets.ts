import { randomBytes } from 'node:crypto';
import { ApiError, type ErrorDetail, type NotificationTargetBody } from '@jobflow/shared';
import { isShownAs, type StoredNotificationTarget } from '@jobflow/core/notifications';
import { isSealed, looksMasked, maskUrl, type Keyring } from '@jobflow/core/platform';

const MIN_SECRET_CHARS = 16;
const newTargetId = () => randomBytes(6).toString('hex');

const isHttpUrl = (value: string) => {
  try {
    const u = new URL(value);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
};

/**
 * The targets to store for a job, from what the client sent and what is
 * stored. A target sent back with its `id` keeps its stored secret (webhook
 * `secret`, Slack `url`) when the secret is omitted or still masked, so a
 * client never needs to know a secret to edit the rest. Secrets are stored
 * sealed. Throws a 422 naming every problem.
 */
export function resolveNotificationTargets(
  input: NotificationTargetBody[],
  stored: StoredNotificationTarget[],
  keyring: Keyring,
  prefix = '/notifications',
): StoredNotificationTarget[] {
  const seal = (secret: string, hint?: string) => (isSealed(secret) ? secret : keyring.seal(secret, hint));
  const problems: ErrorDetail[] = [];
  const seen = new Set<string>();
  const out: StoredNotificationTarget[] = [];
  input.forEach((t, i) => {
    const path = `${prefix}/${i}`;
    const before = t.id ? stored.find((s) => s.id === t.id && s.kind === t.kind) : undefined;
    let id = before?.id ?? newTargetId();
    if (seen.has(id)) {
      problems.push({ path: `${path}/id`, message: 'is used by another target of this job' });
      id = newTargetId();
    }
    seen.add(id);
    const on = [...new Set(t.on)];
    switch (t.kind) {
      case 'webhook': {
        const kept = before?.kind === 'webhook' ? before.secret : undefined;
        let secret = t.secret;
        if (secret === undefined || (kept !== undefined && isShownAs(secret, kept))) secret = kept;
        if (secret === undefined) problems.push({ path: `${path}/secret`, message: 'is required: the key the payload is signed with' });
        else if (secret !== kept && looksMasked(secret))
          problems.push({ path: `${path}/secret`, message: 'is a masked value; send the secret itself or omit it to keep the stored one' });
        else if (secret !== kept && secret.length < MIN_SECRET_CHARS)
          problems.push({ path: `${path}/secret`, message: `must have at least ${MIN_SECRET_CHARS} characters` });
        // The webhook URL sent back as shown (in full to the owner, masked to others) keeps the stored one.
        const keptUrl = before?.kind === 'webhook' && (t.url === keyring.open(before.url) || isShownAs(t.url, before.url, maskUrl)) ? before.url : undefined;
        out.push({ id, kind: 'webhook', on, url: keptUrl ?? seal(t.url, maskUrl(t.url)), secret: secret === undefined ? '' : seal(secret) });
        break;
      }
      case 'slack': {
        const kept = before?.kind === 'slack' ? before.url : undefined;
        let url = t.url;
        if (url === undefined || (kept !== undefined && isShownAs(url, kept, maskUrl))) url = kept;
        if (url === undefined) problems.push({ path: `${path}/url`, message: 'is required: the Slack incoming-webhook URL' });
        else if (url !== kept && !isHttpUrl(url)) problems.push({ path: `${path}/url`, message: 'must be an http(s) URL' });
        out.push({ id, kind: 'slack', on, url: url === undefined ? '' : seal(url, maskUrl(url)) });
        break;
      }
      case 'email':
        out.push({ id, kind: 'email', on, to: [...new Set(t.to.map((a) => a.trim()))] });
        break;
    }
  });
  if (problems.length) throw new ApiError('validation_failed', 'The notification targets are not valid.', problems);
  return out;
}
