import { Cron } from 'croner';
import type { ScheduleDto } from './dto';
import type { ErrorDetail } from './errors';

/** The fields of a cron expression, in order, with their allowed numbers and names. */
const FIELDS = {
  second: { min: 0, max: 59, names: [] as string[] },
  minute: { min: 0, max: 59, names: [] as string[] },
  hour: { min: 0, max: 23, names: [] as string[] },
  'day of month': { min: 1, max: 31, names: [] as string[] },
  month: { min: 1, max: 12, names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] },
  'day of week': { min: 0, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
} as const;

/** A cron field's name as the problems below call it. */
export type CronField = keyof typeof FIELDS;
export const CRON_FIELDS = Object.keys(FIELDS) as CronField[];

const FIVE: CronField[] = ['minute', 'hour', 'day of month', 'month', 'day of week'];
const SIX: CronField[] = ['second', ...FIVE];

/** Whether `zone` is an IANA time zone this runtime knows. */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return zone.trim() !== '';
  } catch {
    return false;
  }
}

/** The first problem of one field (`0-5,*\/15`), in words, or null. */
function fieldProblem(field: CronField, text: string): string | null {
  const { min, max, names } = FIELDS[field];
  // Croner's extras (last day, nearest weekday, nth weekday) are left to croner itself.
  if (/[LW#]/i.test(text.replace(/[A-Z]{3}/gi, (m) => (names.includes(m.toUpperCase() as never) ? '' : m)))) return null;
  const value = (v: string): number | string => {
    const upper = v.toUpperCase();
    const named = (names as readonly string[]).indexOf(upper);
    if (named >= 0) return field === 'month' ? named + 1 : named;
    if (!/^\d+$/.test(v)) return `${field}: "${v}" is not a number${names.length ? ' or a name' : ''}`;
    const n = Number(v);
    return n < min || n > max ? `${field}: "${v}" is not between ${min} and ${max}` : n;
  };
  for (const part of text.split(',')) {
    const [range, step, extra] = part.split('/');
    if (extra !== undefined || range === undefined || range === '') return `${field}: "${part}" is not a value, a range or a step`;
    if (step !== undefined && (!/^\d+$/.test(step) || Number(step) < 1)) return `${field}: the step in "${part}" must be a whole number of 1 or more`;
    if (range === '*' || range === '?') continue;
    const [from, to, more] = range.split('-');
    if (more !== undefined || from === undefined || from === '') return `${field}: "${part}" is not a value, a range or a step`;
    const a = value(from);
    if (typeof a === 'string') return a;
    if (to !== undefined) {
      const b = value(to);
      if (typeof b === 'string') return b;
      if (b < a) return `${field}: the range "${range}" runs backwards`;
    }
  }
  return null;
}

/**
 * Problems with a schedule's cron expression (5 fields, or 6 with seconds
 * first) and IANA time zone, as `details` at `prefix` (empty when valid). The
 * server refuses what this finds, and the browser says it while the user types.
 */
export function scheduleProblems(schedule: ScheduleDto | null | undefined, prefix = '/schedule'): ErrorDetail[] {
  if (!schedule) return [];
  const problems: ErrorDetail[] = [];
  const zoneOk = isTimeZone(schedule.timezone);
  if (!zoneOk) problems.push({ path: `${prefix}/timezone`, message: `"${schedule.timezone}" is not an IANA time zone` });
  const parts = schedule.cron.trim().split(/\s+/).filter(Boolean);
  if (parts.length !== 5 && parts.length !== 6) {
    problems.push({ path: `${prefix}/cron`, message: 'must have 5 fields (or 6 with seconds)' });
    return problems;
  }
  const fields = parts.length === 6 ? SIX : FIVE;
  for (let i = 0; i < parts.length; i++) {
    const problem = fieldProblem(fields[i]!, parts[i]!);
    if (problem) {
      problems.push({ path: `${prefix}/cron`, message: problem });
      return problems;
    }
  }
  try {
    new Cron(schedule.cron, { paused: true, timezone: zoneOk ? schedule.timezone : undefined }).stop();
  } catch (e) {
    const detail = (e as Error).message.replace(/^Cron(Pattern|Options|Date)?: /, '');
    problems.push({ path: `${prefix}/cron`, message: `is not a valid cron expression: ${detail}` });
  }
  return problems;
}

/** The next `count` due times of a valid schedule after `after` (none for an invalid one), as croner computes them for the scheduler. */
export function upcomingDueTimes(schedule: ScheduleDto, count: number, after: Date = new Date()): Date[] {
  if (scheduleProblems(schedule).length) return [];
  const cron = new Cron(schedule.cron, { paused: true, timezone: schedule.timezone });
  const out: Date[] = [];
  let prev = after;
  for (let i = 0; i < count; i++) {
    const next = cron.nextRun(prev);
    if (!next) break;
    out.push(next);
    prev = next;
  }
  return out;
}
