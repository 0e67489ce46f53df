import { jobTypeInfos } from '@jobflow/shared';
import { describe, expect, test } from 'vitest';
import { en } from './en';
import { browserLocale, formatDuration, setLocale, t } from './i18n';
import { ja } from './ja';
import { schemaTextJa } from './schema-text.ja';

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

  test('every title and hint a job type’s schema sends has Japanese', () => {
    const texts: string[] = [];
    const collect = (node: unknown): void => {
      if (!node || typeof node !== 'object') return;
      for (const [key, value] of Object.entries(node)) {
        if ((key === 'title' || key === 'description') && typeof value === 'string') texts.push(value);
        else collect(value);
      }
    };
    for (const info of Object.values(jobTypeInfos)) {
      texts.push(info.title, info.description);
      collect(info.paramsSchema);
    }
    expect(texts.filter((text) => !Object.hasOwn(schemaTextJa, text))).toEqual([]);
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

  test('durations read in one style at every scale, in the user’s language', () => {
    expect(formatDuration(12)).toBe('12 ms');
    expect(formatDuration(8_400)).toBe('8.4 s');
    expect(formatDuration(42_000)).toBe('42 s');
    expect(formatDuration(68_000)).toBe('1 min 8 s');
    expect(formatDuration(3_723_000)).toBe('1 h 2 min');
    setLocale('ja');
    expect(formatDuration(12)).toBe('12 ミリ秒');
    expect(formatDuration(68_000)).toBe('1 分 8 秒');
    setLocale('en');
  });
});
