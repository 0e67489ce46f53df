import { createEffect, createRoot, createSignal } from 'solid-js';
import { en, type MessageKey } from './en';
import { ja } from './ja';
import { schemaTextJa } from './schema-text.ja';

export type Locale = 'en' | 'ja';
export const LOCALES: readonly Locale[] = ['en', 'ja'];
const catalogs: Record<Locale, Record<MessageKey, string>> = { en, ja };
const STORAGE_KEY = 'jobflow.locale';

/** The browser's preferred supported language, English when none is supported. */
export function browserLocale(languages: readonly string[] = typeof navigator === 'undefined' ? [] : navigator.languages): Locale {
  for (const language of languages) {
    const base = language.toLowerCase().split('-')[0];
    if (base === 'ja' || base === 'en') return base;
  }
  return 'en';
}

const stored = (() => {
  try {
    const value = localStorage.getItem(STORAGE_KEY);
    return value === 'en' || value === 'ja' ? value : null;
  } catch {
    return null;
  }
})();

const [locale, setLocaleSignal] = createSignal<Locale>(stored ?? browserLocale());
export { locale };

/** Switches the language and remembers the choice. */
export function setLocale(next: Locale): void {
  setLocaleSignal(next);
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    // private mode: the choice lasts for this page only
  }
}

if (typeof document !== 'undefined') {
  createRoot(() => createEffect(() => (document.documentElement.lang = locale())));
}

export type MessageParams = Record<string, string | number>;

/** The message for `key` in the current language, with `{name}` placeholders filled in. */
export function t(key: MessageKey, params?: MessageParams): string {
  const text = catalogs[locale()][key] ?? en[key];
  return params ? text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole)) : text;
}

/** A text a job type's schema carries (title, field label, hint), in the user's language when it is known. */
export const schemaText = (text: string): string => (locale() === 'ja' ? (schemaTextJa[text] ?? text) : text);

/** Whether `key` is in the catalogs (for keys built at run time, e.g. from error codes). */
export const hasMessage = (key: string): key is MessageKey => Object.hasOwn(en, key);

/**
 * Intl formatters cost far more to build than to use (a list of 50 rows would
 * build hundreds): one is kept per language, kind and options.
 */
const formatters = new Map<string, unknown>();
function formatter<T>(kind: string, options: object, create: (lang: Locale) => T): T {
  const key = `${locale()}|${kind}|${JSON.stringify(options)}`;
  let format = formatters.get(key) as T | undefined;
  if (!format) {
    format = create(locale());
    formatters.set(key, format);
  }
  return format;
}

const dateTimeFormat = (options: Intl.DateTimeFormatOptions) => formatter('date', options, (lang) => new Intl.DateTimeFormat(lang, options));
const numberFormat = (options: Intl.NumberFormatOptions) => formatter('number', options, (lang) => new Intl.NumberFormat(lang, options));

/** A timestamp in the user's time zone and language. */
export const formatDateTime = (iso: string): string => dateTimeFormat({ dateStyle: 'medium', timeStyle: 'medium' }).format(new Date(iso));
/** Only the clock time, for timelines. */
export const formatTime = (iso: string): string => dateTimeFormat({ timeStyle: 'medium' }).format(new Date(iso));
/** A timestamp on the clock of `timeZone` (a job's zone), with the zone's short name; UTC when the zone is unknown here. */
export function formatDateTimeIn(iso: string, timeZone: string): string {
  try {
    return dateTimeFormat({ dateStyle: 'medium', timeStyle: 'long', timeZone }).format(new Date(iso));
  } catch {
    return dateTimeFormat({ dateStyle: 'medium', timeStyle: 'long', timeZone: 'UTC' }).format(new Date(iso));
  }
}
/** Items joined as the language does it ("a, b or c"). */
export const formatList = (items: readonly string[], type: 'conjunction' | 'disjunction' = 'conjunction'): string =>
  formatter('list', { type }, (lang) => new Intl.ListFormat(lang, { type })).format(items);
/** An hour label for the chart axis. */
export const formatHour = (ms: number): string => dateTimeFormat({ hour: 'numeric' }).format(new Date(ms));

/** A number with the language's grouping. */
export const formatNumber = (n: number): string => numberFormat({}).format(n);

/** A size in bytes in the largest unit that keeps it at 1 or more (`1.5 MB`), in the user's language. */
export function formatBytes(bytes: number): string {
  const units = ['byte', 'kilobyte', 'megabyte', 'gigabyte', 'terabyte'] as const;
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return numberFormat({ style: 'unit', unit: units[unit], unitDisplay: 'short', maximumFractionDigits: 1 }).format(value);
}

/**
 * A duration in one style everywhere, in the user's language: `12 ms`,
 * `8.4 s`, `42 s`, `1 min 8 s`, `2 h 5 min`.
 */
export function formatDuration(ms: number): string {
  const v = Math.max(0, ms);
  if (v < 1000) return t('duration.ms', { n: formatNumber(Math.round(v)) });
  if (v < 10_000) return t('duration.s', { n: formatNumber(Math.floor(v / 100) / 10) });
  const total = Math.floor(v / 1000);
  if (total < 60) return t('duration.s', { n: formatNumber(total) });
  if (total < 3600) return t('duration.min', { m: Math.floor(total / 60), s: total % 60 });
  return t('duration.h', { h: formatNumber(Math.floor(total / 3600)), m: Math.floor((total % 3600) / 60) });
}

const STEPS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['second', 60],
  ['minute', 60],
  ['hour', 24],
];

/** `iso` from `now` in words ("5 min ago", "in 2 hr", "now"); null beyond a day, where a date says more. */
export function formatRelative(iso: string, now: number): string | null {
  let value = (Date.parse(iso) - now) / 1000;
  if (Math.abs(value) < 10) return t('time.now');
  const options = { numeric: 'auto', style: 'short' } as const;
  const format = formatter('relative', options, (lang) => new Intl.RelativeTimeFormat(lang, options));
  for (const [unit, size] of STEPS) {
    if (Math.abs(value) < size) return format.format(Math.trunc(value), unit);
    value /= size;
  }
  return null;
}

/** A timestamp with the date, the time and the zone's short name, for hovers and details. */
export const formatDateTimeZone = (iso: string): string => dateTimeFormat({ dateStyle: 'medium', timeStyle: 'long' }).format(new Date(iso));
/** The clock time with the zone's short name, for timelines. */
export const formatTimeZone = (iso: string): string => dateTimeFormat({ timeStyle: 'long' }).format(new Date(iso));
