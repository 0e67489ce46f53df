import type { LogLineDto, NotificationEvent, RunDto } from '@jobflow/shared';

/** Everything a notification says, whatever carries it. */
export interface NotificationMessage {
  event: NotificationEvent;
  /** The run as it was when the event happened. */
  run: RunDto;
  /** The run page in the UI. */
  link: string;
  /** The run's last log lines up to the event, oldest first. */
  lastLines: LogLineDto[];
  /** Unique per (run, target, event): receivers can drop repeats by it. */
  deliveryId: string;
}

export const runLink = (publicUrl: string, runId: string) => `${publicUrl.replace(/\/+$/, '')}/runs/${encodeURIComponent(runId)}`;

/** `850 ms`, `12.3 s`, `4 min 05 s`, `2 h 03 min`. */
export function formatDuration(ms: number | null): string {
  if (ms === null) return '-';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

/** "nightly-report failed", "nightly-report started". */
export const headline = (m: NotificationMessage) => `${m.run.jobName} ${m.event}`;

/** Short facts about the run, as label/value pairs. */
export function facts(m: NotificationMessage): [string, string][] {
  const r = m.run;
  const rows: [string, string][] = [
    ['Status', r.status],
    ['Job', r.jobName],
    ['Duration', formatDuration(r.durationMs)],
    ['Attempt', `${r.attempt} of ${r.maxAttempts}`],
    ['Trigger', r.trigger.kind],
  ];
  if (r.error) rows.push(['Error', `${r.error.code}: ${r.error.message}`]);
  return rows;
}
