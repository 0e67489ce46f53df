import { createSignal } from 'solid-js';
import { formatDateTime, formatDateTimeZone, formatRelative, formatTimeZone } from '../i18n/i18n';

// One clock for every relative time on the page: a tick every 15 s, nothing else.
const [now, setNow] = createSignal(Date.now());
if (typeof window !== 'undefined') setInterval(() => setNow(Date.now()), 15_000);

/**
 * A timestamp in the user's zone. `relative` (lists): "5 min ago" within a
 * day, else the date; `time` (timelines): the clock time with the zone;
 * `absolute` (details): date, time and zone. The hover always gives the date,
 * time and zone, and the ISO value is there for machines.
 */
export function Time(props: { iso: string | null | undefined; mode?: 'relative' | 'time' | 'absolute'; fallback?: string }) {
  const text = (iso: string) => {
    switch (props.mode ?? 'relative') {
      case 'time':
        return formatTimeZone(iso);
      case 'absolute':
        return formatDateTimeZone(iso);
      case 'relative':
        return formatRelative(iso, now()) ?? formatDateTime(iso);
    }
  };
  return (
    <>
      {props.iso ? (
        <time datetime={props.iso} title={formatDateTimeZone(props.iso)}>
          {text(props.iso)}
        </time>
      ) : (
        (props.fallback ?? '—')
      )}
    </>
  );
}
