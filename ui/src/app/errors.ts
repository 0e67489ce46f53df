import { ARTIFACT_NAME_PATTERN, isApiClientError, type ErrorDetail } from '@jobflow/shared/client';
import type { MessageKey } from '../i18n/en';
import { hasMessage, t } from '../i18n/i18n';

/** A sentence for the user about a failed call, in their language. */
export function errorMessage(error: unknown): string {
  if (isApiClientError(error)) {
    const key = `error.${error.code}`;
    const text = hasMessage(key) ? t(key) : error.message;
    // A conflict's reason is specific ("email taken", "last admin"): say it too, in the user's language when it is a known one.
    if (error.code === 'conflict' || error.code === 'bad_request') return `${text} ${localizeReason(error.message)}`;
    if (error.code === 'rate_limited' && error.retryAfterSec !== null) return t('error.rate_limited_after', { sec: error.retryAfterSec });
    return text;
  }
  return t('error.internal');
}

const reasons: [RegExp, (m: RegExpMatchArray) => string][] = [
  [/^The run is already (queued|running|succeeded|failed|cancelled)\.$/, (m) => t('reason.runFinal', { status: t(`status.${m[1]}` as MessageKey) })],
  [/^The job has a queued or running run/, () => t('reason.jobBusy')],
  [/^The job has no schedule\.$/, () => t('reason.noSchedule')],
  [/^A user with this email already exists\.$/, () => t('reason.emailTaken')],
  [/^This would leave no enabled admin\.$/, () => t('reason.lastAdmin')],
  [/^The last enabled admin cannot be deleted\.$/, () => t('reason.lastAdmin')],
];

/** The server's reason for a conflict, in the user's language when it is a known one. */
function localizeReason(message: string): string {
  for (const [pattern, render] of reasons) {
    const m = message.match(pattern);
    if (m) return render(m);
  }
  return message;
}

/** The `details` of a 422, or none. */
export const errorDetails = (error: unknown): ErrorDetail[] => (isApiClientError(error, 'validation_failed') ? error.details : []);

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const rules: [RegExp, (m: RegExpMatchArray) => string][] = [
  [/^must have required property/, () => t('validation.required')],
  [/^must NOT have fewer than (\d+) characters?$/, (m) => (m[1] === '1' ? t('validation.required') : t('validation.minLength', { n: m[1] ?? '' }))],
  [/^must NOT have more than (\d+) characters?$/, (m) => t('validation.maxLength', { n: m[1] ?? '' })],
  [/^must NOT have fewer than (\d+) items?$/, (m) => t('validation.minItems', { n: m[1] ?? '' })],
  [/^must NOT have more than (\d+) items?$/, (m) => t('validation.maxItems', { n: m[1] ?? '' })],
  [/^must be >= (-?[\d.e+]+)$/, (m) => t('validation.minimum', { n: m[1] ?? '' })],
  [/^must be <= (-?[\d.e+]+)$/, (m) => t('validation.maximum', { n: m[1] ?? '' })],
  [/^must be > (-?[\d.e+]+)$/, (m) => t('validation.exclusiveMinimum', { n: m[1] ?? '' })],
  [/^must be < (-?[\d.e+]+)$/, (m) => t('validation.exclusiveMaximum', { n: m[1] ?? '' })],
  [/^must be (integer|number|string|boolean|object|array|null)$/, (m) => t('validation.type', { type: m[1] ?? '' })],
  [new RegExp(`^must match pattern "${escapeRegExp(ARTIFACT_NAME_PATTERN)}"$`), () => t('validation.fileName')],
  [/^must match pattern/, () => t('validation.pattern')],
  [/^must match format "(.+)"$/, (m) => t('validation.format', { format: m[1] ?? '' })],
  [/^must be equal to one of the allowed values$/, () => t('validation.enum')],
  [/^must be equal to constant$/, () => t('validation.enum')],
  [/^must NOT have additional properties$/, () => t('validation.additional')],
  [/^property name must be valid$/, () => t('validation.propertyName')],
  [/^must NOT have duplicate items/, () => t('validation.unique')],
  // Schedules (the shared rules the server applies too).
  [
    /^(second|minute|hour|day of month|month|day of week): "(.*)" is not between (\d+) and (\d+)$/,
    (m) => t('validation.cronRange', { field: cronField(m[1]), value: m[2] ?? '', min: m[3] ?? '', max: m[4] ?? '' }),
  ],
  [
    /^(second|minute|hour|day of month|month|day of week): "(.*)" is not a number/,
    (m) => t('validation.cronValue', { field: cronField(m[1]), value: m[2] ?? '' }),
  ],
  [
    /^(second|minute|hour|day of month|month|day of week): the step in "(.*)" must be/,
    (m) => t('validation.cronStep', { field: cronField(m[1]), value: m[2] ?? '' }),
  ],
  [
    /^(second|minute|hour|day of month|month|day of week): the range "(.*)" runs backwards$/,
    (m) => t('validation.cronBackwards', { field: cronField(m[1]), value: m[2] ?? '' }),
  ],
  [
    /^(second|minute|hour|day of month|month|day of week): "(.*)" is not a value, a range or a step$/,
    (m) => t('validation.cronPart', { field: cronField(m[1]), value: m[2] ?? '' }),
  ],
  [/^must have 5 fields \(or 6 with seconds\)$/, () => t('validation.cronFields')],
  [/^is not a valid cron expression: (.*)$/, (m) => t('validation.cronOther', { detail: m[1] ?? '' })],
  [/^"(.*)" is not an IANA time zone$/, (m) => t('validation.timezone', { zone: m[1] ?? '' })],
  // The server's own words for job fields outside the params schema.
  [/^is required\b/, () => t('validation.required')],
  [/^must have at least (\d+) characters$/, (m) => t('validation.minLength', { n: m[1] ?? '' })],
  [/^must be an http\(s\) URL$/, () => t('validation.httpUrl')],
  [/^Invalid email address$/, () => t('validation.email')],
  [/^Too small: expected array to have >=?(\d+) items?$/, (m) => (m[1] === '1' ? t('validation.pickOne') : t('validation.minItems', { n: m[1] ?? '' }))],
];

const cronField = (name: string | undefined) => t(`cron.field.${name ?? 'minute'}` as MessageKey);

/** Ajv's English message for a field, in the user's language when it is a known one. */
export function localizeValidation(message: string): string {
  for (const [pattern, render] of rules) {
    const m = message.match(pattern);
    if (m) return render(m);
  }
  return message;
}
