import { describe, expect, test } from 'vitest';
import { systemLineOf } from './system-lines';

describe('system lines as codes with values', () => {
  test('the engine’s lines are read back', () => {
    expect(systemLineOf('attempt 2 of 3 after: handler_error: the script exited with code 3')).toEqual({
      code: 'retry',
      values: { attempt: '2', maxAttempts: '3', error: 'handler_error: the script exited with code 3' },
    });
    expect(systemLineOf('timed out after 30 s')).toEqual({ code: 'timedOut', values: { sec: '30' } });
    expect(systemLineOf('Cancelled by ops@example.com (the worker did not stop in time)')?.values).toMatchObject({ who: 'ops@example.com' });
    expect(systemLineOf('notification (failed) via Slack: delivered (HTTP 200), attempt 1 of 8')).toMatchObject({
      code: 'notifyDelivered',
      values: { event: 'failed', target: 'Slack', outcome: 'HTTP 200', attempt: '1', maxAttempts: '8' },
    });
  });

  test('any other line has no code', () => {
    expect(systemLineOf('hello')).toBeNull();
  });
});
