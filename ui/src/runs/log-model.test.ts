import { describe, expect, test } from 'vitest';
import { makeLines } from '../test-fixtures';
import { createLogModel, findMatches, stepMatch } from './log-model';

describe('log model', () => {
  test('appends in order and keeps the system lines for the timeline', () => {
    const model = createLogModel();
    model.append(makeLines(1, 3));
    model.append(makeLines(4, 4, 'system'));
    expect(model.count()).toBe(4);
    expect(model.lines.map((l) => l.seq)).toEqual([1, 2, 3, 4]);
    expect(model.systemLines().map((l) => l.seq)).toEqual([4]);
  });

  test('finds lines case-insensitively and continues from where it stopped', () => {
    const lines = makeLines(1, 30);
    const found = findMatches(lines, 'LINE 2');
    expect(found).toEqual([1, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28]);
    const more = findMatches([...lines, ...makeLines(31, 32)], 'line 3', 30, findMatches(lines, 'line 3'));
    expect(more).toEqual([2, 29, 30, 31]);
  });

  test('next and previous wrap around', () => {
    const matches = [5, 10, 20];
    expect(stepMatch(matches, 5, 1)).toBe(10);
    expect(stepMatch(matches, 20, 1)).toBe(5);
    expect(stepMatch(matches, 5, -1)).toBe(20);
    expect(stepMatch(matches, 12, -1)).toBe(10);
    expect(stepMatch([], 0, 1)).toBeNull();
  });
});
