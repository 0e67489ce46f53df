import { ApiClientError } from '@jobflow/shared/client';
import { afterEach, describe, expect, test } from 'vitest';
import { setLocale } from '../i18n/i18n';
import { errorMessage, localizeValidation } from './errors';

afterEach(() => setLocale('en'));

describe('messages for errors', () => {
  test('Ajv messages become catalog messages in the chosen language', () => {
    expect(localizeValidation("must have required property 'script'")).toBe('Required.');
    expect(localizeValidation('must be <= 86400')).toBe('Must be 86400 or less.');
    setLocale('ja');
    expect(localizeValidation('must NOT have fewer than 3 characters')).toBe('3 文字以上で入力してください。');
    expect(localizeValidation('something new')).toBe('something new');
  });

  test('API errors read by code; a conflict keeps the server’s reason', () => {
    expect(errorMessage(new ApiClientError('invalid_credentials', 'Invalid email or password.', 401))).toBe('Wrong email or password.');
    expect(errorMessage(new ApiClientError('conflict', 'The email is taken.', 409))).toBe('That cannot be done right now. The email is taken.');
    expect(errorMessage(new ApiClientError('rate_limited', 'Slow down.', 429, [], 30))).toBe('Too many attempts. Try again in 30 s.');
    expect(errorMessage(new Error('boom'))).toBe('Something went wrong on our side.');
  });
});
