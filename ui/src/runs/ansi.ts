/** A run of text with the style ANSI SGR codes gave it. */
export interface AnsiSpan {
  text: string;
  /** Palette colour 0-15 (`ansi-fg-N`), or a CSS colour for 256-colour and true-colour codes. */
  fg?: number | string;
  bg?: number | string;
  isBold?: boolean;
  isDim?: boolean;
  isItalic?: boolean;
  isUnderline?: boolean;
}

// CSI sequences (colours and cursor moves) and OSC sequences (titles, links).
const ESCAPES = /\x1b\[([0-9;?]*)([A-Za-z])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][A-Za-z0-9]|\x1b[=>78]/g;

/** Whether `text` has any escape sequence (most lines have none and skip the parser). */
export const hasAnsi = (text: string): boolean => text.includes('\x1b');

/** The text without escape sequences: what is searched, measured and downloaded. */
export const stripAnsi = (text: string): string => (hasAnsi(text) ? text.replace(ESCAPES, '') : text);

const cube = (n: number) => (n === 0 ? 0 : 55 + n * 40);
/** A 256-colour code as a palette index (0-15) or a CSS colour. */
function color256(n: number): number | string {
  if (n < 16) return n;
  if (n < 232) {
    const v = n - 16;
    return `rgb(${cube(Math.floor(v / 36))}, ${cube(Math.floor(v / 6) % 6)}, ${cube(v % 6)})`;
  }
  const grey = 8 + (n - 232) * 10;
  return `rgb(${grey}, ${grey}, ${grey})`;
}

/**
 * Splits a log line into styled spans by its SGR codes (colours, bold, dim,
 * italic, underline); every other escape sequence is dropped.
 */
export function parseAnsi(text: string): AnsiSpan[] {
  if (!hasAnsi(text)) return [{ text }];
  const spans: AnsiSpan[] = [];
  let style: Omit<AnsiSpan, 'text'> = {};
  let last = 0;
  const push = (chunk: string) => {
    if (chunk) spans.push({ text: chunk, ...style });
  };
  for (const m of text.matchAll(ESCAPES)) {
    push(text.slice(last, m.index));
    last = (m.index ?? 0) + m[0].length;
    if (m[2] !== 'm') continue;
    const codes = (m[1] ?? '').split(';').map((c) => (c === '' ? 0 : Number(c)));
    for (let i = 0; i < codes.length; i++) {
      const c = codes[i] as number;
      if (c === 0) style = {};
      else if (c === 1) style = { ...style, isBold: true };
      else if (c === 2) style = { ...style, isDim: true };
      else if (c === 3) style = { ...style, isItalic: true };
      else if (c === 4) style = { ...style, isUnderline: true };
      else if (c === 22) style = { ...style, isBold: false, isDim: false };
      else if (c === 23) style = { ...style, isItalic: false };
      else if (c === 24) style = { ...style, isUnderline: false };
      else if (c >= 30 && c <= 37) style = { ...style, fg: c - 30 };
      else if (c >= 90 && c <= 97) style = { ...style, fg: c - 90 + 8 };
      else if (c === 39) style = { ...style, fg: undefined };
      else if (c >= 40 && c <= 47) style = { ...style, bg: c - 40 };
      else if (c >= 100 && c <= 107) style = { ...style, bg: c - 100 + 8 };
      else if (c === 49) style = { ...style, bg: undefined };
      else if ((c === 38 || c === 48) && codes[i + 1] === 5) {
        const color = color256(codes[i + 2] ?? 0);
        style = c === 38 ? { ...style, fg: color } : { ...style, bg: color };
        i += 2;
      } else if ((c === 38 || c === 48) && codes[i + 1] === 2) {
        const color = `rgb(${codes[i + 2] ?? 0}, ${codes[i + 3] ?? 0}, ${codes[i + 4] ?? 0})`;
        style = c === 38 ? { ...style, fg: color } : { ...style, bg: color };
        i += 4;
      }
    }
  }
  push(text.slice(last));
  return spans;
}
