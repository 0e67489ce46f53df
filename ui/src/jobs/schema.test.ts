import { shellInfo, sleepInfo } from '@jobflow/shared';
import { describe, expect, test } from 'vitest';
import { changedPaths, defaultsFor, fieldKind, jsonEqual, type Schema } from './schema';

const shell = shellInfo.paramsSchema as unknown as Schema;

describe('schema to controls', () => {
  test('maps each kind of property to its control', () => {
    const props = shell.properties ?? {};
    expect(fieldKind(props.script as Schema)).toBe('text');
    expect(fieldKind(props.shell as Schema)).toBe('string');
    expect(fieldKind(props.env as Schema)).toBe('map');
    expect(fieldKind({ type: 'integer' })).toBe('integer');
    expect(fieldKind({ type: 'boolean' })).toBe('boolean');
    expect(fieldKind({ type: 'string', enum: ['GET', 'POST'] })).toBe('enum');
    expect(fieldKind({ type: 'array', items: { type: 'string' } })).toBe('string-list');
    expect(fieldKind({ type: 'array', items: { enum: ['a', 'b'] } })).toBe('multi-enum');
    expect(fieldKind({ type: 'object', properties: { a: { type: 'string' } } })).toBe('object');
    expect(fieldKind({ oneOf: [{ type: 'string' }, { type: 'number' }] } as Schema)).toBe('json');
    expect(fieldKind({ type: ['string', 'null'] })).toBe('string');
  });

  test('a new form starts from every default, nested objects included', () => {
    expect(defaultsFor(sleepInfo.paramsSchema as unknown as Schema)).toEqual({ seconds: 5, fail: false });
    expect(defaultsFor(shell)).toEqual({ shell: '/bin/sh' });
    expect(defaultsFor({ type: 'object', properties: { retry: { type: 'object', properties: { count: { type: 'integer', default: 3 } } } } })).toEqual({
      retry: { count: 3 },
    });
  });

  test('changed paths name the leaves that differ', () => {
    expect(changedPaths(shell, { script: 'a', env: { A: '1' } }, { script: 'a', env: { A: '1' } })).toEqual([]);
    expect(changedPaths(shell, { script: 'b', env: { A: '2' } }, { script: 'a', env: { A: '1' } })).toEqual(['/script', '/env']);
    expect(changedPaths(shell, { script: 'a', cwd: '/tmp' }, { script: 'a' })).toEqual(['/cwd']);
  });

  test('JSON equality ignores key order and undefined members', () => {
    expect(jsonEqual({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 })).toBe(true);
    expect(jsonEqual({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(jsonEqual([1, 2], [2, 1])).toBe(false);
    expect(jsonEqual({ a: '1' }, { a: 1 })).toBe(false);
  });
});
