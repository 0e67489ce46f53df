import { describe, expect, test } from 'vitest';
import { scheduleProblems, upcomingDueTimes } from './schedule-rules';

const messages = (cron: string, timezone = 'UTC') => scheduleProblems({ cron, timezone }).map((p) => `${p.path} ${p.message}`);

describe('schedule rules', () => {
  test('valid expressions, with names, ranges, steps and seconds, have no problem', () => {
    for (const cron of ['0 9 * * 1-5', '*/15 * * * *', '0 0 1 JAN,JUL *', '30 2 * * SUN', '0 */30 9-17 * * MON-FRI', '0 0 L * *']) {
      expect(messages(cron)).toEqual([]);
    }
  });

  test('each problem names its field and value in words, without a library prefix', () => {
    expect(messages('61 * * * *')).toEqual(['/schedule/cron minute: "61" is not between 0 and 59']);
    expect(messages('0 * * * 8')).toEqual(['/schedule/cron day of week: "8" is not between 0 and 7']);
    expect(messages('0 5-2 * * *')).toEqual(['/schedule/cron hour: the range "5-2" runs backwards']);
    expect(messages('*/0 * * * *')).toEqual(['/schedule/cron minute: the step in "*/0" must be a whole number of 1 or more']);
    expect(messages('0 0 * FOO *')).toEqual(['/schedule/cron month: "FOO" is not a number or a name']);
    expect(messages('every day')).toEqual(['/schedule/cron must have 5 fields (or 6 with seconds)']);
    expect(messages('0 9 * * *', 'Tokyo')).toEqual(['/schedule/timezone "Tokyo" is not an IANA time zone']);
  });

  test('the next due times follow the zone’s clock', () => {
    const due = upcomingDueTimes({ cron: '0 9 * * *', timezone: 'Asia/Tokyo' }, 3, new Date('2026-11-28T12:00:00Z'));
    expect(due.map((d) => d.toISOString())).toEqual(['2026-11-29T00:00:00.000Z', '2026-11-30T00:00:00.000Z', '2026-12-01T00:00:00.000Z']);
    expect(upcomingDueTimes({ cron: '61 * * * *', timezone: 'UTC' }, 3)).toEqual([]);
  });
});
