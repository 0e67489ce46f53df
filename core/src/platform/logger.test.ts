import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, withLogContext, type Level } from './logger';

/** A logger writing into memory; `lines()` parses what it wrote. */
function capture(level: Level = 'debug') {
  let out = '';
  const destination = new Writable({
    write(chunk, _encoding, done) {
      out += chunk;
      done();
    },
  });
  const log = createLogger('test', level, { destination: destination as never });
  return {
    log,
    raw: () => out,
    lines: () =>
      out
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, any>),
  };
}

describe('createLogger', () => {
  it('writes one JSON object per line, with level names, ISO times and the fields given', () => {
    const { log, lines } = capture('info');
    log.debug('not at info');
    log.info('hello', { runId: 'r1', count: 2 });
    expect(lines()).toEqual([
      {
        level: 'info',
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        pid: process.pid,
        hostname: expect.any(String),
        name: 'test',
        msg: 'hello',
        runId: 'r1',
        count: 2,
      },
    ]);
  });

  it('never writes credentials, however deep they sit in the fields', () => {
    const { log, raw, lines } = capture();
    log.info('request', {
      password: 'pw-top-level',
      body: { email: 'a@example.com', password: 'pw-in-body' },
      headers: { authorization: 'Bearer jf_token-in-header', cookie: 'session=cookie-value', 'set-cookie': 'sid=set-cookie-value', host: 'example.com' },
      config: { smtp: { password: 'pw-smtp' }, jwtSecret: 'jwt-secret-value', metricsToken: 'metrics-token-value' },
      target: { secret: 'whsec-value', token: 'token-value' },
    });
    for (const secret of [
      'pw-top-level',
      'pw-in-body',
      'jf_token-in-header',
      'cookie-value',
      'set-cookie-value',
      'pw-smtp',
      'jwt-secret-value',
      'metrics-token-value',
      'whsec-value',
      'token-value',
    ]) {
      expect(raw()).not.toContain(secret);
    }
    const [line] = lines();
    expect(line!.headers).toEqual({ authorization: '[Redacted]', cookie: '[Redacted]', 'set-cookie': '[Redacted]', host: 'example.com' });
    expect(line!.body).toEqual({ email: 'a@example.com', password: '[Redacted]' });
  });

  it('serializes errors with their message and stack', () => {
    const { log, lines } = capture();
    log.error('failed', { error: new Error('boom') });
    expect(lines()[0]!.error).toMatchObject({ type: 'Error', message: 'boom', stack: expect.stringContaining('Error: boom') });
  });

  it('carries the bindings of a child logger and the fields of the context it logs in', async () => {
    const { log, lines } = capture();
    const runLog = log.child({ workerId: 'w1' }).child({ runId: 'r1', attempt: 2 });
    await withLogContext({ requestId: 'req-1' }, async () => {
      await new Promise((r) => setTimeout(r, 1));
      runLog.warn('inside');
    });
    runLog.info('outside');
    expect(lines().map(({ msg, workerId, runId, attempt, requestId }) => ({ msg, workerId, runId, attempt, requestId }))).toEqual([
      { msg: 'inside', workerId: 'w1', runId: 'r1', attempt: 2, requestId: 'req-1' },
      { msg: 'outside', workerId: 'w1', runId: 'r1', attempt: 2, requestId: undefined },
    ]);
  });
});
