import { describe, expect, it } from 'vitest';
import { CsvParser, CsvRecordTooLargeError, type CsvRecord } from './data-check-csv';

/** Parses `text` fed in pieces of `size` characters (every split point when size is 1). */
function parse(text: string, size = text.length || 1, delimiter?: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  const parser = new CsvParser((record) => records.push(record), { delimiter });
  for (let at = 0; at < text.length; at += size) parser.push(text.slice(at, at + size));
  parser.end();
  return records;
}

/** The fields of every record, checked to be the same whatever the chunking. */
function fields(text: string, delimiter?: string): string[][] {
  const whole = parse(text, undefined, delimiter);
  for (const size of [1, 2, 3, 7]) expect(parse(text, size, delimiter), `split every ${size} characters`).toEqual(whole);
  return whole.map((record) => record.fields);
}

describe('CSV parser', () => {
  it('splits plain records on LF, CRLF and CR, with or without a final line break', () => {
    expect(fields('a,b\n1,2\n')).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
    expect(fields('a,b\r\n1,2\r\n3,4')).toEqual([
      ['a', 'b'],
      ['1', '2'],
      ['3', '4'],
    ]);
    expect(fields('a,b\r1,2\r')).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
  });

  it('keeps empty fields, including a trailing one', () => {
    expect(fields(',a,,\n,\n')).toEqual([
      ['', 'a', '', ''],
      ['', ''],
    ]);
  });

  it('reads quoted fields with delimiters, escaped quotes and line breaks inside', () => {
    const text = 'id,note\r\n1,"hello, world"\r\n2,"say ""hi"""\r\n3,"two\r\nlines\nand more"\r\n4,""\r\n5,""""\r\n';
    expect(fields(text)).toEqual([
      ['id', 'note'],
      ['1', 'hello, world'],
      ['2', 'say "hi"'],
      ['3', 'two\r\nlines\nand more'],
      ['4', ''],
      ['5', '"'],
    ]);
  });

  it('numbers each record by the line it starts on, counting line breaks inside quotes', () => {
    const text = 'h\r\n"a\r\nb"\r\n\r\nc\n"d\ne\nf"\ng';
    for (const size of [1, 2, 100]) {
      expect(parse(text, size).map((record) => [record.fields[0], record.line])).toEqual([
        ['h', 1],
        ['a\r\nb', 2],
        ['c', 5],
        ['d\ne\nf', 6],
        ['g', 9],
      ]);
    }
  });

  it('skips empty lines but keeps a line holding an empty quoted field', () => {
    expect(fields('a\n\n\r\n""\n\nb\n\n')).toEqual([['a'], [''], ['b']]);
    expect(fields('')).toEqual([]);
  });

  it('uses another delimiter when told', () => {
    expect(fields('a;b,c;"d;e"\n', ';')).toEqual([['a', 'b,c', 'd;e']]);
    expect(fields('a\tb\n', '\t')).toEqual([['a', 'b']]);
  });

  it('keeps a quote inside an unquoted field as a character', () => {
    expect(parse('size,5" screen\n')).toEqual([{ fields: ['size', '5" screen'], line: 1 }]);
  });

  it('keeps text after a closing quote, reporting it', () => {
    expect(parse('"ab"c,d\nx\n')).toEqual([
      { fields: ['abc', 'd'], line: 1, problem: 'text after a closing quote' },
      { fields: ['x'], line: 2 },
    ]);
  });

  it('reports a quote left open at the end of the input', () => {
    expect(parse('a,"bc\nd')).toEqual([{ fields: ['a', 'bc\nd'], line: 1, problem: 'a quoted field is not closed' }]);
  });

  it('keeps non-ASCII text intact across chunk boundaries', () => {
    expect(fields('名前,emoji\n"日本",😀🎉\n')).toEqual([
      ['名前', 'emoji'],
      ['日本', '😀🎉'],
    ]);
  });

  it('refuses a record past the size limit instead of holding it', () => {
    const parser = new CsvParser(() => undefined, { maxRecordChars: 100 });
    parser.push('a\n"');
    expect(() => {
      for (let i = 0; i < 20; i++) parser.push('0123456789');
    }).toThrow(CsvRecordTooLargeError);
    // Many short fields count too; a record ended within one chunk was never held.
    expect(() => new CsvParser(() => undefined, { maxRecordChars: 100 }).push(`${',x'.repeat(60)}\n`)).not.toThrow();
    expect(() => new CsvParser(() => undefined, { maxRecordChars: 100 }).push(',x'.repeat(60))).toThrow(/line 1 is longer than 100/);
  });
});
