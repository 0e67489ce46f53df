/**
 * The log lines every benchmark writes: 80 characters, numbered, so each
 * side stores and sends byte-for-byte the same rows. `bench/lib/emit-lines.mjs`
 * (the script Jobflow's shell runs execute) builds them the same way.
 */
export const LINE_CHARS = 80;
const PAD = 'x'.repeat(LINE_CHARS);

/** Line `i` (1-based): its zero-padded number, then padding to 80 characters. */
export const lineText = (i: number) => `${String(i).padStart(8, '0')} ${PAD}`.slice(0, LINE_CHARS);

/** A timed line: its number and the wall-clock ms it was produced, padded to 80 characters. */
export const timedLineText = (i: number, atMs: number) => `${String(i).padStart(8, '0')} ${atMs.toFixed(3)} ${PAD}`.slice(0, LINE_CHARS);

/** Reads the production time back out of a timed line. */
export const timeOfLine = (text: string) => Number(text.slice(9, text.indexOf(' ', 9)));
