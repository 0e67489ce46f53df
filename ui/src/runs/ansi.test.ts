import { describe, expect, test } from 'vitest';
import { parseAnsi, stripAnsi } from './ansi';

describe('ANSI escapes in log lines', () => {
  test('SGR colours and styles become spans; the text keeps no escape', () => {
    expect(parseAnsi('\x1b[31mred\x1b[0m plain')).toEqual([{ text: 'red', fg: 1 }, { text: ' plain' }]);
    expect(parseAnsi('\x1b[1;92mok\x1b[22m!')).toEqual([
      { text: 'ok', isBold: true, fg: 10 },
      { text: '!', isBold: false, isDim: false, fg: 10 },
    ]);
    expect(parseAnsi('\x1b[38;5;196mx\x1b[48;2;1;2;3my')).toEqual([
      { text: 'x', fg: 'rgb(255, 0, 0)' },
      { text: 'y', fg: 'rgb(255, 0, 0)', bg: 'rgb(1, 2, 3)' },
    ]);
  });

  test('other escapes (cursor moves, titles) are dropped', () => {
    expect(stripAnsi('\x1b[2K\x1b[1Gprogress \x1b]0;title\x07done')).toBe('progress done');
    expect(parseAnsi('no escapes')).toEqual([{ text: 'no escapes' }]);
  });
});
