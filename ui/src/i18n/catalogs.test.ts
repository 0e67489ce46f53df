import { describe, expect, test } from 'vitest';
import { en } from './en';
import { browserLocale, formatDuration, setLocale, t } from './i18n';
import { ja } from './ja';

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('message catalogs', () => {
  test('Japanese has every English key, none empty, with the same placeholders', () => {
    expect(Object.keys(ja).sort()).toEqual(Object.keys(en).sort());
    for (const [key, text] of Object.entries(en)) {
      const translated = ja[key as keyof typeof en];
      expect(translated.trim(), key).not.toBe('');
      expect(placeholders(translated), key).toEqual(placeholders(text));
    }
  });

  test('follows the browser language, and the switch changes every message', () => {
    expect(browserLocale(['ja-JP', 'en-US'])).toBe('ja');
    expect(browserLocale(['fr-FR', 'en-GB'])).toBe('en');
    expect(browserLocale(['fr-FR'])).toBe('en');
    setLocale('ja');
    expect(t('run.attemptOf', { n: 2, m: 3 })).toBe('3 回中 2 回目');
    setLocale('en');
    expect(t('run.attemptOf', { n: 2, m: 3 })).toBe('Attempt 2 of 3');
    expect(document.documentElement.lang).toBe('en');
  });

  test('durations read the same in every language', () => {
    expect(formatDuration(400)).toBe('0.4 s');
    expect(formatDuration(65_000)).toBe('1:05');
    expect(formatDuration(3_723_000)).toBe('1:02:03');
  });
});
