import { systemLineOf } from '@jobflow/shared/client';
import type { MessageKey } from '../i18n/en';
import { locale, t } from '../i18n/i18n';

/** A `system` line in the user's language (by its code and values); the text as written when it has no code or the language is English. */
export function systemText(text: string): string {
  if (locale() === 'en') return text;
  const line = systemLineOf(text);
  if (!line) return text;
  const key = (line.code === 'cancelledBy' && line.values.late ? 'system.cancelledByLate' : `system.${line.code}`) as MessageKey;
  return t(key, line.values);
}
