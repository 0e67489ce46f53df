/** One row of a JSON document: a parsed value and where it started. */
export interface JsonRow {
  value: unknown;
  /** Line (1-based) the value starts on. */
  line: number;
}

/** The document is not valid JSON; reading cannot go on past this point. */
export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
    this.name = new.target.name;
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LF = 0x0a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

const isWhitespace = (c: number): boolean => c === 0x20 || c === LF || c === 0x0d || c === 0x09;
/** Characters that end a bare number or literal (true, false, null). */
const endsScalar = (c: number): boolean =>
  isWhitespace(c) || c === COMMA || c === CLOSE_BRACKET || c === CLOSE_BRACE || c === OPEN_BRACKET || c === OPEN_BRACE || c === QUOTE || c === COLON;

enum Mode {
  /** Nothing but whitespace seen yet. */
  Start,
  /** Just after the top-level `[`. */
  ArrayFirst,
  ArrayAfterComma,
  ArrayAfterValue,
  /** Whitespace-separated values (JSON Lines). */
  Sequence,
  /** After the top-level array's `]`. */
  Done,
}

/**
 * Splits streamed JSON text into rows, holding one row at a time: either a single
 * top-level array, whose elements are the rows, or a sequence of values separated by
 * whitespace (JSON Lines / NDJSON, and also pretty-printed values one after another).
 * Chunks may be split anywhere. Each row's text is checked by JSON.parse; any syntax
 * error throws JsonSyntaxError, since the rows after it cannot be found reliably.
 */
export class JsonRowSplitter {
  private mode = Mode.Start;
  private isInRow = false;
  private isScalar = false;
  private isInString = false;
  private isEscaped = false;
  private depth = 0;
  private held = '';
  private rowLine = 1;
  private line = 1;
  private readonly maxRowChars: number;

  constructor(
    private readonly onRow: (row: JsonRow) => void,
    options: { maxRowChars?: number } = {},
  ) {
    this.maxRowChars = options.maxRowChars ?? 4 * 1024 * 1024;
  }

  /** Parses a chunk, calling `onRow` for every row it completes. */
  push(chunk: string): void {
    let start = 0; // where the current row's text begins in this chunk
    const length = chunk.length;
    let i = 0;
    while (i < length) {
      const c = chunk.charCodeAt(i);
      if (this.isInRow) {
        if (this.isScalar) {
          if (endsScalar(c)) {
            this.finishRow(chunk, start, i);
            continue; // the character after a scalar is read again, between rows
          }
        } else if (this.isInString) {
          if (this.isEscaped) this.isEscaped = false;
          else if (c === BACKSLASH) this.isEscaped = true;
          else if (c === QUOTE) {
            this.isInString = false;
            if (this.depth === 0) this.finishRow(chunk, start, i + 1);
          }
        } else if (c === QUOTE) {
          this.isInString = true;
        } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
          this.depth++;
        } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
          if (--this.depth === 0) this.finishRow(chunk, start, i + 1);
        }
        if (c === LF) this.line++;
        i++;
        continue;
      }

      if (isWhitespace(c)) {
        if (c === LF) this.line++;
        i++;
        continue;
      }
      switch (this.mode) {
        case Mode.Start:
          if (c === OPEN_BRACKET) {
            this.mode = Mode.ArrayFirst;
            i++;
            continue;
          }
          this.mode = Mode.Sequence;
          break;
        case Mode.ArrayFirst:
          if (c === CLOSE_BRACKET) {
            this.mode = Mode.Done;
            i++;
            continue;
          }
          break;
        case Mode.ArrayAfterValue:
          if (c === COMMA) this.mode = Mode.ArrayAfterComma;
          else if (c === CLOSE_BRACKET) this.mode = Mode.Done;
          else throw this.unexpected(c, 'expected , or ] after an array element');
          i++;
          continue;
        case Mode.Done:
          throw this.unexpected(c, 'the top-level array is already closed');
        case Mode.ArrayAfterComma:
        case Mode.Sequence:
          break;
      }
      this.startRow(c);
      start = i;
      i++;
    }
    if (this.isInRow) {
      this.held += chunk.slice(start);
      if (this.held.length > this.maxRowChars) {
        throw new JsonSyntaxError(`a row is longer than ${this.maxRowChars} characters`, this.rowLine);
      }
    }
  }

  /** Ends the input; throws if it stopped inside a value or an open array. */
  end(): void {
    if (this.isInRow) {
      if (!this.isScalar) throw new JsonSyntaxError('unexpected end of input inside a value', this.rowLine);
      this.finishRow('', 0, 0);
    }
    if (this.mode === Mode.ArrayFirst || this.mode === Mode.ArrayAfterComma || this.mode === Mode.ArrayAfterValue) {
      throw new JsonSyntaxError('unexpected end of input: the top-level array is not closed', this.line);
    }
  }

  private startRow(c: number): void {
    if (c === COMMA || c === CLOSE_BRACKET || c === CLOSE_BRACE || c === COLON) {
      throw this.unexpected(c, 'expected a value');
    }
    this.isInRow = true;
    this.rowLine = this.line;
    this.depth = c === OPEN_BRACE || c === OPEN_BRACKET ? 1 : 0;
    this.isInString = c === QUOTE;
    this.isEscaped = false;
    this.isScalar = this.depth === 0 && !this.isInString;
  }

  private finishRow(chunk: string, start: number, end: number): void {
    const text = this.held + chunk.slice(start, end);
    this.held = '';
    this.isInRow = false;
    this.isScalar = false;
    if (this.mode === Mode.ArrayFirst || this.mode === Mode.ArrayAfterComma) this.mode = Mode.ArrayAfterValue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new JsonSyntaxError((error as Error).message, this.rowLine);
    }
    this.onRow({ value, line: this.rowLine });
  }

  private unexpected(c: number, expectation: string): JsonSyntaxError {
    return new JsonSyntaxError(`unexpected ${JSON.stringify(String.fromCharCode(c))}: ${expectation}`, this.line);
  }
}
