import { describe, expect, it } from 'vitest';
import { readEnv, resolveConnection } from './config';
import { mergeParams, parseParamAssignments, parseParamValue, textPathsOf } from './params';

describe('--param values', () => {
  it('are JSON when they parse, text otherwise', () => {
    expect(parseParamValue('5')).toBe(5);
    expect(parseParamValue('true')).toBe(true);
    expect(parseParamValue('null')).toBeNull();
    expect(parseParamValue('"5"')).toBe('5');
    expect(parseParamValue('["a",1]')).toEqual(['a', 1]);
    expect(parseParamValue('{"k":{"n":2}}')).toEqual({ k: { n: 2 } });
    expect(parseParamValue('hello world')).toBe('hello world');
    expect(parseParamValue('')).toBe('');
    expect(parseParamValue('a=b=c')).toBe('a=b=c');
  });

  it('nest dotted keys, let later ones win, and leave the base untouched', () => {
    const base = { env: { A: 'a' }, seconds: 1 };
    const params = parseParamAssignments(['env.B=b', 'seconds=2', 'deep.er.est=x=y', 'seconds=3'], base);
    expect(params).toEqual({ env: { A: 'a', B: 'b' }, seconds: 3, deep: { er: { est: 'x=y' } } });
    expect(base).toEqual({ env: { A: 'a' }, seconds: 1 });
  });

  it('stay text where the schema wants text', () => {
    const schema = {
      type: 'object',
      properties: { script: { type: 'string' }, count: { type: 'number' }, env: { type: 'object', additionalProperties: { type: 'string' } } },
    };
    const params = parseParamAssignments(['script=true', 'count=3', 'env.PORT=8080', 'env.DEBUG=false', 'other=1'], {}, textPathsOf(schema));
    expect(params).toEqual({ script: 'true', count: 3, env: { PORT: '8080', DEBUG: 'false' }, other: 1 });
  });

  it('refuse assignments without a key, with empty or dangerous keys, or nesting into a non-object', () => {
    for (const bad of ['novalue', '=x', 'a..b=1', '__proto__.polluted=1', 'a.constructor=1']) {
      expect(() => parseParamAssignments([bad]), bad).toThrow(/--param/);
    }
    expect(() => parseParamAssignments(['a=1', 'a.b=2'])).toThrow(/not an object/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("merge over a job's params key by key", () => {
    expect(mergeParams({ script: 's', env: { A: '1', B: '2' } }, { env: { B: '3' } })).toEqual({ script: 's', env: { A: '1', B: '3' } });
    expect(mergeParams({ list: [1, 2] }, { list: [3] })).toEqual({ list: [3] });
  });
});

describe('configuration', () => {
  it('puts the config under XDG_CONFIG_HOME, else ~/.config', () => {
    expect(readEnv({ XDG_CONFIG_HOME: '/x', HOME: '/h' }).configFile).toBe('/x/jobflow/config.json');
    expect(readEnv({ HOME: '/h' }).configFile).toBe('/h/.config/jobflow/config.json');
  });

  it('prefers JOBFLOW_URL and JOBFLOW_TOKEN, and never sends a stored token to another server', () => {
    const stored = { url: 'http://a:3000', token: 'jf_stored' };
    expect(resolveConnection(readEnv({}), stored)).toEqual({ url: 'http://a:3000', token: 'jf_stored', source: 'config' });
    expect(resolveConnection(readEnv({ JOBFLOW_TOKEN: 'jf_env' }), stored)).toEqual({ url: 'http://a:3000', token: 'jf_env', source: 'env' });
    expect(resolveConnection(readEnv({ JOBFLOW_URL: 'http://b:3000' }), stored)).toEqual({ url: 'http://b:3000', token: null, source: 'none' });
    expect(resolveConnection(readEnv({ JOBFLOW_URL: 'http://a:3000/' }), stored).token).toBe('jf_stored');
  });
});
