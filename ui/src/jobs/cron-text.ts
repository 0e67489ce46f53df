import cronstrue from 'cronstrue';
import 'cronstrue/locales/ja.js';
import type { Locale } from '../i18n/i18n';

/** A valid cron expression in words ("At 09:00 AM, Monday through Friday"), in the user's language; null when it has none. */
export function describeCron(cron: string, locale: Locale): string | null {
  try {
    return cronstrue.toString(cron.trim(), { locale, throwExceptionOnParseError: true, verbose: false });
  } catch {
    return null;
  }
}
