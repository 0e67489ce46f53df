import { describe, expect, it } from 'vitest';
import { closestMatch, didYouMean, editDistance } from './suggest';

const COMMANDS = ['login', 'logout', 'whoami', 'jobs', 'job', 'types', 'run', 'logs', 'cancel', 'rerun', 'watch', 'tokens', 'completion'];

describe('did you mean', () => {
  it('counts a swap of two neighbouring letters as one edit', () => {
    expect(editDistance('wohami', 'whoami')).toBe(1);
    expect(editDistance('tokns', 'tokens')).toBe(1);
    expect(editDistance('', 'run')).toBe(3);
    expect(editDistance('watch', 'watch')).toBe(0);
  });

  it('suggests the command a typo was meant to be', () => {
    expect(closestMatch('wohami', COMMANDS)).toBe('whoami');
    expect(closestMatch('rn', COMMANDS)).toBe('run');
    expect(closestMatch('log', COMMANDS)).toBe('logs');
    expect(closestMatch('TOKENS', COMMANDS)).toBe('tokens');
    expect(closestMatch('completoin', COMMANDS)).toBe('completion');
    expect(closestMatch('--folow', ['--follow', '--quiet', '--param'])).toBe('--follow');
  });

  it('suggests nothing for a word that is not close to any', () => {
    expect(closestMatch('frobnicate', COMMANDS)).toBeUndefined();
    expect(closestMatch('deploy', COMMANDS)).toBeUndefined();
    expect(closestMatch('', COMMANDS)).toBeUndefined();
    expect(didYouMean('frobnicate', COMMANDS)).toBe('');
    expect(didYouMean('wacth', COMMANDS)).toBe(' Did you mean "watch"?');
  });
});
