import { Cron } from 'croner';

const cache = new Map<string, Cron>();

/**
 * The croner pattern of a schedule, parsed once. Croner does the time-zone
 * arithmetic: a fixed time that falls in a DST gap is due once, right after
 * the gap; a fixed time that occurs twice is due once, at its first occurrence.
 */
export function cronOf(cron: string, timezone: string): Cron {
  const key = `${timezone}\u0000${cron}`;
  let c = cache.get(key);
  if (!c) {
    if (cache.size >= 5000) cache.clear();
    c = new Cron(cron, { timezone, paused: true });
    cache.set(key, c);
  }
  return c;
}

/** The first due time strictly after `after`, or null when there is none. */
export function nextDueAfter(cron: string, timezone: string, after: Date): Date | null {
  return cronOf(cron, timezone).nextRun(after);
}

/** The next `count` due times strictly after `after`. */
export function nextDueTimes(cron: string, timezone: string, after: Date, count: number): Date[] {
  const out: Date[] = [];
  let prev = after;
  for (let i = 0; i < count; i++) {
    const next = nextDueAfter(cron, timezone, prev);
    if (!next) break;
    out.push(next);
    prev = next;
  }
  return out;
}

/**
 * Due times after `after` up to and including `until`, at most `limit` of
 * them, and the first due time after those (the next one to wait for, or to
 * handle in the next batch when the limit cut the list short).
 */
export function dueTimesBetween(cron: string, timezone: string, after: Date, until: Date, limit: number): { due: Date[]; next: Date | null } {
  const due: Date[] = [];
  let next = nextDueAfter(cron, timezone, after);
  while (next && next.getTime() <= until.getTime() && due.length < limit) {
    due.push(next);
    next = nextDueAfter(cron, timezone, next);
  }
  return { due, next };
}

const pad = (n: number, width = 2) => String(Math.abs(n)).padStart(width, '0');

/** `date` as an ISO-8601 local time in `timezone` with its UTC offset, e.g. `2026-03-08T03:00:00-04:00`. */
export function localIso(date: Date, timezone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
      .formatToParts(date)
      .map((p) => [p.type, p.value]),
  ) as Record<string, string>;
  const y = Number(parts.year);
  const asUtc = Date.UTC(y, Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  const offsetMin = Math.round((asUtc - Math.floor(date.getTime() / 1000) * 1000) / 60_000);
  const sign = offsetMin < 0 ? '-' : '+';
  const ms = date.getUTCMilliseconds();
  return `${pad(y, 4)}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}${ms ? '.' + pad(ms, 3) : ''}${sign}${pad(Math.trunc(offsetMin / 60))}:${pad(offsetMin % 60)}`;
}
