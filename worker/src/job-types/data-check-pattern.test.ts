import { describe, expect, it } from 'vitest';
import { PatternTimeoutError, compilePattern } from './data-check-pattern';
import { RowRules, type DataCheckRule } from './data-check-rules';
import { NonRetryableError } from './job-handler';

describe('data-check patterns', () => {
  it('answers nested quantifiers on long values at once (without the linear engine this takes hours)', () => {
    const test = compilePattern('^(a+)+$');
    expect(test(`${'a'.repeat(60)}!`)).toBe(false);
    expect(test('a'.repeat(60))).toBe(true);
    expect(compilePattern('^(a|aa)+$')(`${'a'.repeat(80)}b`)).toBe(false);
  });

  it('stops a match the linear engine cannot take over, with an error instead of a blocked worker', () => {
    const test = compilePattern('^(a+)+\\1$');
    const started = Date.now();
    expect(() => test(`${'a'.repeat(40)}!`)).toThrow(PatternTimeoutError);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(test('aaaa')).toBe(true);
  });

  it('keeps the u flag’s meaning: astral characters, property escapes, lookarounds', () => {
    expect(compilePattern('^.{3}$')('a😀b')).toBe(true);
    expect(compilePattern('^.{3}$')('abc')).toBe(true);
    expect(compilePattern('^\\p{Lu}')('Émile')).toBe(true);
    expect(compilePattern('^\\p{Lu}')('émile')).toBe(false);
    expect(compilePattern('^(?=.*\\d)[a-z\\d]+$')('abc1')).toBe(true);
    expect(compilePattern('^(?=.*\\d)[a-z\\d]+$')('abc')).toBe(false);
    expect(() => compilePattern('\\-')).toThrow(SyntaxError);
  });

  it('fails the check with the row and column when a pattern takes too long', () => {
    const rules = new RowRules({ columns: { code: { pattern: '^(a+)+\\1$' } } });
    const reports: DataCheckRule[] = [];
    const check = () =>
      rules.check(
        () => `${'a'.repeat(40)}!`,
        'csv',
        'row 7 (line 8)',
        (rule) => reports.push(rule),
      );
    expect(check).toThrow(NonRetryableError);
    expect(check).toThrow(/^row 7 \(line 8\): column "code": matching \/\^\(a\+\)\+\\1\$\/ took over 80 ms/);
    expect(reports).toEqual([]);
  });
});
