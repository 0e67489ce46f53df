import { stripAnsi } from './ansi';

/** Row height in px; the CSS gives each screen row of `.log-row` exactly this height. */
export const ROW_PX = 20;
const TAB = 8;

const isWide = (cp: number) =>
  (cp >= 0x1100 && cp <= 0x115f) ||
  (cp >= 0x2e80 && cp <= 0xa4cf) ||
  (cp >= 0xac00 && cp <= 0xd7a3) ||
  (cp >= 0xf900 && cp <= 0xfaff) ||
  (cp >= 0xfe30 && cp <= 0xfe4f) ||
  (cp >= 0xff00 && cp <= 0xff60) ||
  (cp >= 0xffe0 && cp <= 0xffe6) ||
  (cp >= 0x1f300 && cp <= 0x1faff) ||
  cp >= 0x20000;

/** How many monospace cells a line takes: tabs to the next stop of 8, East Asian wide characters as 2. */
export function displayWidth(text: string): number {
  const plain = stripAnsi(text);
  let width = 0;
  for (const ch of plain) {
    const cp = ch.codePointAt(0) ?? 0;
    if (ch === '\t') width += TAB - (width % TAB);
    else width += isWide(cp) ? 2 : 1;
  }
  return width;
}

/**
 * Where each line of a log sits when long lines wrap: line `i` starts
 * `tops[i]` px down and takes `ceil(width / columns)` screen rows. Kept
 * incrementally as lines arrive; rebuilt when the number of columns changes.
 */
export function createWrapLayout() {
  let columns = 0;
  const widths: number[] = [];
  const tops: number[] = [0];
  const rowsOf = (width: number) => Math.max(1, Math.ceil(width / columns));
  return {
    /** Measures and places lines `widths.length .. texts.length - 1`; with new `cols`, every line again. */
    update(texts: readonly { text: string }[], cols: number): void {
      const c = Math.max(1, cols);
      if (c !== columns) {
        columns = c;
        tops.length = 1;
        for (let i = 0; i < widths.length; i++) tops.push((tops[i] as number) + rowsOf(widths[i] as number) * ROW_PX);
      }
      for (let i = widths.length; i < texts.length; i++) {
        const width = displayWidth((texts[i] as { text: string }).text);
        widths.push(width);
        tops.push((tops[i] as number) + rowsOf(width) * ROW_PX);
      }
    },
    top: (index: number): number => tops[Math.min(index, tops.length - 1)] as number,
    height: (index: number): number => (tops[index + 1] as number) - (tops[index] as number),
    total: (): number => tops[tops.length - 1] as number,
    /** The line at `y` px from the top. */
    indexAt(y: number): number {
      let lo = 0;
      let hi = tops.length - 2;
      if (hi < 0) return 0;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if ((tops[mid] as number) <= y) lo = mid;
        else hi = mid - 1;
      }
      return lo;
    },
  };
}

export type WrapLayout = ReturnType<typeof createWrapLayout>;
