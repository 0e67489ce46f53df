/** One CSV record as the parser hands it over. */
export interface CsvRecord {
  fields: string[];
  /** Line (1-based) the record starts on. */
  line: number;
  /** Set when the record breaks RFC 4180 in a way the parser recovered from. */
  problem?: string;
}

/** Thrown when a record grows past the size limit, which usually means an unclosed quote. */
export class CsvRecordTooLargeError extends Error {
  constructor(
    readonly line: number,
    maxChars: number,
  ) {
    super(`the record starting on line ${line} is longer than ${maxChars} characters (an unclosed quote?)`);
    this.name = new.target.name;
  }
}

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

enum State {
  /** At the start of a field (or of a record). */
  FieldStart,
  Unquoted,
  Quoted,
  /** Just after a quote inside a quoted field: either an escaped quote or the closing one. */
  QuoteInQuoted,
}

/**
 * A streaming RFC 4180 parser: feed text chunks of any size (split anywhere, even inside
 * a CRLF or an escaped quote) and get whole records back. Handles quoted fields with
 * delimiters, escaped quotes ("") and line breaks inside them; records end with CRLF,
 * LF or a lone CR. Lenient where files commonly are: a quote inside an unquoted field is
 * kept as a character, and an empty line is skipped rather than read as a record with one
 * empty field. Text after a closing quote, or a quote left open at the end, is kept and
 * reported as the record's `problem`. Memory is one record, at most `maxRecordChars`.
 */
export class CsvParser {
  private readonly delimiter: number;
  private state = State.FieldStart;
  private fields: string[] = [];
  private field = '';
  private isRecordStarted = false;
  /** Characters held in `fields` (one more per field), to bound a record's size. */
  private heldChars = 0;
  private recordLine = 1;
  private line = 1;
  private isAfterCr = false;
  private isQuotedCr = false;
  private problem: string | undefined;

  constructor(
    private readonly onRecord: (record: CsvRecord) => void,
    options: { delimiter?: string; maxRecordChars?: number } = {},
  ) {
    const delimiter = options.delimiter ?? ',';
    if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\r' || delimiter === '\n') {
      throw new RangeError(`invalid CSV delimiter ${JSON.stringify(delimiter)}`);
    }
    this.delimiter = delimiter.charCodeAt(0);
    this.maxRecordChars = options.maxRecordChars ?? 4 * 1024 * 1024;
  }

  private readonly maxRecordChars: number;

  /** Parses a chunk, calling `onRecord` for every record it completes. */
  push(chunk: string): void {
    const delimiter = this.delimiter;
    let start = 0; // where the pending part of the current field begins in this chunk
    const length = chunk.length;
    for (let i = 0; i < length; i++) {
      const c = chunk.charCodeAt(i);
      if (this.isAfterCr) {
        this.isAfterCr = false;
        if (c === LF) {
          start = i + 1;
          continue;
        }
      }
      switch (this.state) {
        case State.FieldStart:
          if (c === QUOTE) {
            this.isRecordStarted = true;
            this.state = State.Quoted;
            start = i + 1;
          } else if (c === delimiter) {
            this.isRecordStarted = true;
            this.fields.push('');
            this.heldChars++;
          } else if (c === LF || c === CR) {
            this.endLine(c);
            if (this.isRecordStarted) {
              this.fields.push('');
              this.emit();
            }
            this.recordLine = this.line;
            start = i + 1;
          } else {
            this.isRecordStarted = true;
            this.state = State.Unquoted;
            start = i;
          }
          break;
        case State.Unquoted:
          if (c === delimiter) {
            this.endField(chunk, start, i);
          } else if (c === LF || c === CR) {
            this.endField(chunk, start, i);
            this.endLine(c);
            this.emit();
            start = i + 1;
          }
          break;
        case State.Quoted:
          if (c === QUOTE) {
            this.field += chunk.slice(start, i);
            this.state = State.QuoteInQuoted;
            this.isQuotedCr = false;
          } else if (c === CR) {
            this.line++;
            this.isQuotedCr = true;
          } else if (c === LF) {
            if (!this.isQuotedCr) this.line++;
            this.isQuotedCr = false;
          } else {
            this.isQuotedCr = false;
          }
          break;
        case State.QuoteInQuoted:
          if (c === QUOTE) {
            this.state = State.Quoted;
            start = i; // keeps this quote as the escaped one
          } else if (c === delimiter) {
            this.endField(chunk, i, i);
          } else if (c === LF || c === CR) {
            this.endField(chunk, i, i);
            this.endLine(c);
            this.emit();
            start = i + 1;
          } else {
            this.problem ??= 'text after a closing quote';
            this.state = State.Unquoted;
            start = i;
          }
          break;
      }
    }
    if (this.state === State.Unquoted || this.state === State.Quoted) {
      this.field += chunk.slice(start);
    }
    if (this.heldChars + this.field.length > this.maxRecordChars) {
      throw new CsvRecordTooLargeError(this.recordLine, this.maxRecordChars);
    }
  }

  /** Ends the input, emitting the last record if it had no line break after it. */
  end(): void {
    if (this.state === State.Quoted) this.problem ??= 'a quoted field is not closed';
    if (this.isRecordStarted) {
      this.fields.push(this.field);
      this.emit();
    }
  }

  private endField(chunk: string, start: number, end: number): void {
    const value = this.field + chunk.slice(start, end);
    this.fields.push(value);
    this.heldChars += value.length + 1;
    this.field = '';
    this.state = State.FieldStart;
  }

  private endLine(c: number): void {
    this.line++;
    if (c === CR) this.isAfterCr = true;
  }

  private emit(): void {
    const record: CsvRecord = { fields: this.fields, line: this.recordLine };
    if (this.problem !== undefined) record.problem = this.problem;
    this.fields = [];
    this.field = '';
    this.state = State.FieldStart;
    this.isRecordStarted = false;
    this.heldChars = 0;
    this.problem = undefined;
    this.recordLine = this.line;
    this.onRecord(record);
  }
}
