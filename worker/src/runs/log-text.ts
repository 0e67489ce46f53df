/**
 * Makes one line storable and readable: no NUL (PostgreSQL text cannot hold
 * it), no lone surrogates (invalid UTF-8), no trailing CR, and at most
 * `maxChars` characters with a visible marker where it was cut.
 */
export function safeLine(text: string, maxChars: number): string {
  let line = text.includes('\u0000') ? text.replaceAll('\u0000', '\u2400') : text;
  line = line.toWellFormed();
  if (line.endsWith('\r')) line = line.slice(0, -1);
  if (line.length > maxChars) line = `${line.slice(0, maxChars)} …[truncated ${line.length - maxChars} chars]`;
  return line;
}

/**
 * Splits a byte stream into lines, decoding UTF-8 across chunk borders
 * (invalid sequences become U+FFFD) and bounding a line that never ends.
 */
export function lineSplitter(onLine: (line: string) => void, maxChars: number) {
  const decoder = new TextDecoder('utf-8', { fatal: false });
  let pending = '';
  const drain = () => {
    let nl: number;
    while ((nl = pending.indexOf('\n')) !== -1) {
      onLine(pending.slice(0, nl));
      pending = pending.slice(nl + 1);
    }
    while (pending.length > maxChars * 4) {
      onLine(pending.slice(0, maxChars * 4));
      pending = pending.slice(maxChars * 4);
    }
  };
  return {
    write(chunk: Buffer) {
      pending += decoder.decode(chunk, { stream: true });
      drain();
    },
    end() {
      pending += decoder.decode();
      drain();
      if (pending.length) onLine(pending);
      pending = '';
    },
  };
}
