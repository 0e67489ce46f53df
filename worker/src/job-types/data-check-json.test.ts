import { describe, expect, it } from 'vitest';
import { JsonRowSplitter, JsonSyntaxError, type JsonRow } from './data-check-json';

function split(text: string, size = text.length || 1): JsonRow[] {
  const rows: JsonRow[] = [];
  const splitter = new JsonRowSplitter((row) => rows.push(row));
  for (let at = 0; at < text.length; at += size) splitter.push(text.slice(at, at + size));
  splitter.end();
  return rows;
}

/** The row values, checked to be the same whatever the chunking. */
function values(text: string): unknown[] {
  const whole = split(text);
  for (const size of [1, 2, 5]) expect(split(text, size), `split every ${size} characters`).toEqual(whole);
  return whole.map((row) => row.value);
}

describe('JSON row splitter', () => {
  it('reads the elements of a top-level array as rows', () => {
    expect(values('[{"a":1},{"a":[1,{"b":2}]} , {}]')).toEqual([{ a: 1 }, { a: [1, { b: 2 }] }, {}]);
    expect(values(' [ ] ')).toEqual([]);
    expect(values('[1, "x", true, null, -2.5e3, [3]]')).toEqual([1, 'x', true, null, -2500, [3]]);
  });

  it('reads JSON Lines, blank lines included, and pretty-printed values one after another', () => {
    expect(values('{"a":1}\n{"a":2}\r\n\n{"a":3}')).toEqual([{ a: 1 }, { a: 2 }, { a: 3 }]);
    expect(values('{\n  "a": 1\n}\n{\n  "a": 2\n}\n')).toEqual([{ a: 1 }, { a: 2 }]);
    expect(values('1 2\n"three"')).toEqual([1, 2, 'three']);
  });

  it('is not misled by brackets, quotes and backslashes inside strings', () => {
    expect(values('[{"s":"]},[{\\"\\\\"},{"t":"\\\\"}]')).toEqual([{ s: ']},[{"\\' }, { t: '\\' }]);
  });

  it('gives the line each row starts on', () => {
    const rows = split('[\n  {"a": 1},\n  {\n    "a": 2\n  }\n]');
    expect(rows.map((row) => row.line)).toEqual([2, 3]);
    expect(split('{"a":1}\n\n{"a":2}').map((row) => row.line)).toEqual([1, 3]);
  });

  it('throws on invalid JSON, giving the line', () => {
    const cases: [string, RegExp][] = [
      ['{"a":1}\n{"a":}', /^line 2: /],
      ['[{"a":1} {"a":2}]', /expected , or \] after an array element/],
      ['[{"a":1},]', /expected a value/],
      ['[{"a":1}] {}', /already closed/],
      ['[{"a":1}', /not closed/],
      ['{"a":1', /end of input inside a value/],
      ['{"a":1}}', /expected a value/],
      ['[tru]', /^line 1: /],
    ];
    for (const [text, message] of cases) {
      expect(() => split(text), text).toThrow(JsonSyntaxError);
      expect(() => split(text), text).toThrow(message);
    }
  });

  it('refuses a row past the size limit instead of holding it', () => {
    const splitter = new JsonRowSplitter(() => undefined, { maxRowChars: 50 });
    splitter.push('[{"a":"');
    expect(() => {
      for (let i = 0; i < 10; i++) splitter.push('0123456789');
    }).toThrow(/longer than 50 characters/);
  });
});
