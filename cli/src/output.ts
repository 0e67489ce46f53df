import type { RunStatus } from '@jobflow/shared';
import type { CliEnv } from './config';

/** A writable text stream: process.stdout / process.stderr, or a test double. */
export interface TextSink {
  write(text: string): unknown;
  isTTY?: boolean;
}

type Paint = (text: string) => string;

/** ANSI styles, or identity functions when colour is off. */
export interface Colors {
  isEnabled: boolean;
  bold: Paint;
  dim: Paint;
  red: Paint;
  green: Paint;
  yellow: Paint;
  blue: Paint;
  cyan: Paint;
  gray: Paint;
}

const sgr =
  (open: number, close: number): Paint =>
  (text) =>
    `\u001b[${open}m${text}\u001b[${close}m`;
const plain: Paint = (text) => text;

export function colorsFor(sink: TextSink, env: CliEnv): Colors {
  const isEnabled = env.isNoColor ? false : (env.forceColor ?? (sink.isTTY === true && !env.isDumbTerminal));
  const pick = (paint: Paint) => (isEnabled ? paint : plain);
  return {
    isEnabled,
    bold: pick(sgr(1, 22)),
    dim: pick(sgr(2, 22)),
    red: pick(sgr(31, 39)),
    green: pick(sgr(32, 39)),
    yellow: pick(sgr(33, 39)),
    blue: pick(sgr(34, 39)),
    cyan: pick(sgr(36, 39)),
    gray: pick(sgr(90, 39)),
  };
}

/** stdout for results, stderr for everything else (notes, errors, system lines). */
export interface Output {
  out: TextSink;
  err: TextSink;
  /** Colours for what goes to stdout. */
  c: Colors;
  /** Colours for what goes to stderr. */
  ec: Colors;
}

export function createOutput(out: TextSink, err: TextSink, env: CliEnv): Output {
  return { out, err, c: colorsFor(out, env), ec: colorsFor(err, env) };
}

/** One JSON document per call, on one line: ready for `jq`. */
export const printJson = (o: Output, value: unknown) => o.out.write(JSON.stringify(value) + '\n');

/** A note from the command itself (not run output), on stderr. */
export const note = (o: Output, text: string) => o.err.write(`${o.ec.dim('jobflow:')} ${text}\n`);

const ANSI = /\u001b\[[0-9;]*m/g;
const visibleLength = (text: string) => [...text.replace(ANSI, '')].length;

/** Columns padded to their widest cell; the header, if any, in bold. Cells may hold colour codes. */
export function table(o: Output, headers: string[] | null, rows: string[][]): string {
  const all = headers ? [headers, ...rows] : rows;
  const columns = Math.max(0, ...all.map((row) => row.length));
  const widths = Array.from({ length: columns }, (_, i) => Math.max(0, ...all.map((row) => visibleLength(row[i] ?? ''))));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - visibleLength(cell))))
      .join('  ')
      .trimEnd();
  return [...(headers ? [o.c.bold(line(headers))] : []), ...rows.map(line)].join('\n') + '\n';
}

export function paintStatus(c: Colors, status: RunStatus): string {
  switch (status) {
    case 'queued':
      return c.gray(status);
    case 'running':
      return c.blue(status);
    case 'succeeded':
      return c.green(status);
    case 'failed':
      return c.red(status);
    case 'cancelled':
      return c.yellow(status);
  }
}

export function formatDuration(ms: number | null): string {
  if (ms === null) return '-';
  if (ms < 1000) return `${ms} ms`;
  const sec = ms / 1000;
  if (sec < 60) return `${sec.toFixed(1)} s`;
  const min = Math.floor(sec / 60);
  if (min < 60) return `${min} min ${Math.round(sec % 60)} s`;
  return `${Math.floor(min / 60)} h ${min % 60} min`;
}

/** "3 min ago", "in 2 days"; "-" for null. */
export function formatAge(iso: string | null, now = Date.now()): string {
  if (!iso) return '-';
  const diffSec = Math.round((Date.parse(iso) - now) / 1000);
  const abs = Math.abs(diffSec);
  const [value, unit] =
    abs < 60 ? [abs, 's'] : abs < 3600 ? [Math.round(abs / 60), 'min'] : abs < 86_400 ? [Math.round(abs / 3600), 'h'] : [Math.round(abs / 86_400), 'd'];
  if (abs < 5) return 'just now';
  return diffSec < 0 ? `${value} ${unit} ago` : `in ${value} ${unit}`;
}
