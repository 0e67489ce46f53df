/**
 * The `system` lines the run engine writes, as codes with values, so a client
 * can say them in its user's language. The engine's English text stays the
 * line's `text` (what logs.txt and the command line show); `systemLineOf`
 * reads it back. A line no pattern knows is shown as written.
 */
export const SYSTEM_LINE_PATTERNS = {
  /** An attempt failed and another one follows. */
  retry: /^attempt (?<attempt>\d+) of (?<maxAttempts>\d+) after: (?<error>.*)$/s,
  /** The last attempt failed. */
  failedAfter: /^failed after (?<attempt>\d+) of (?<maxAttempts>\d+) attempts: (?<error>.*)$/s,
  /** The handler failed in a way retrying would not help. */
  failedNoRetry: /^failed \(not retried\): (?<error>.*)$/s,
  timedOut: /^timed out after (?<sec>\d+) s$/,
  cancelledBy: /^Cancelled by (?<who>\S+?)(?<late> \(the worker did not stop in time\))?$/,
  cancelled: /^Cancelled \(the worker did not stop in time\)$/,
  noHandler: /^no handler for job type "(?<type>[^"]*)" on worker (?<worker>.*)$/,
  invalidParams: /^invalid params: (?<problems>.*)$/s,
  notifyRemoved: /^notification \((?<event>\w+)\) via (?<target>.+?): not sent, the target was removed from the job$/,
  notifyDelivered: /^notification \((?<event>\w+)\) via (?<target>.+?): delivered \((?<outcome>.*)\), attempt (?<attempt>\d+) of (?<maxAttempts>\d+)$/,
  notifyGaveUp:
    /^notification \((?<event>\w+)\) via (?<target>.+?): failed \((?<error>.*)\), attempt (?<attempt>\d+) of (?<maxAttempts>\d+); giving up(?<permanent> \(retrying would not help\))?$/,
  notifyRetry:
    /^notification \((?<event>\w+)\) via (?<target>.+?): failed \((?<error>.*)\), attempt (?<attempt>\d+) of (?<maxAttempts>\d+); next try in (?<delay>.+)$/,
} as const;

export type SystemLineCode = keyof typeof SYSTEM_LINE_PATTERNS;

/** A system line's code and values, or null for a line no pattern knows. */
export function systemLineOf(text: string): { code: SystemLineCode; values: Record<string, string> } | null {
  for (const [code, pattern] of Object.entries(SYSTEM_LINE_PATTERNS) as [SystemLineCode, RegExp][]) {
    const m = pattern.exec(text);
    if (m) return { code, values: Object.fromEntries(Object.entries(m.groups ?? {}).map(([k, v]) => [k, v ?? ''])) };
  }
  return null;
}
