import { describe, expect, it } from 'vitest';
import { toPositional } from './db-access';

describe('toPositional', () => {
  it('numbers the placeholders in order', () => {
    expect(toPositional('select ? from t where a = ? and b = ?')).toBe('select $1 from t where a = $2 and b = $3');
  });

  it('leaves ? alone inside strings, identifiers, dollar quotes and comments', () => {
    const sql = `select '?', 'it''s ?', "col?", $$?$$, $tag$ ? $tag$ -- why?
      /* really? */ from t where a = ?`;
    expect(toPositional(sql)).toBe(sql.replace('a = ?', 'a = $1'));
  });
});
