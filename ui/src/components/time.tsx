import { formatDateTime, formatTime } from '../i18n/i18n';

/** A timestamp in local time; the ISO value on hover and for machines. */
export function Time(props: { iso: string | null | undefined; timeOnly?: boolean; fallback?: string }) {
  return (
    <>
      {props.iso ? (
        <time datetime={props.iso} title={props.iso}>
          {props.timeOnly ? formatTime(props.iso) : formatDateTime(props.iso)}
        </time>
      ) : (
        (props.fallback ?? '—')
      )}
    </>
  );
}
