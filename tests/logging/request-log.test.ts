import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../support/stack';
import { spawnServer, until, type Proc } from '../support/processes';

/**
 * A server process logging at debug level (request headers included), as an
 * operator would turn it on to chase a problem: every line is JSON, every line
 * of a request carries its id, and no credential reaches the output.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let stack: Stack;
let server: Proc & { url: string };

beforeAll(async () => {
  stack = await startStack({ workers: 0 });
  server = await spawnServer({ ...stack.env, LOG_LEVEL: 'debug' });
}, 120_000);
afterAll(async () => {
  await server?.stop();
  await stack?.stop();
});

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(server.url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

/** Every line the server wrote, parsed (a line that is not JSON fails the test). */
const logLines = () =>
  server
    .output()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, any>;
      } catch {
        throw new Error(`not a JSON log line: ${line}`);
      }
    });

describe('request logs', { timeout: 120_000 }, () => {
  it('carry the request id in and out, on every line of the request, and never a password, token or cookie', async () => {
    const wrongPassword = 'wrong-password-Qz7!x';
    const cookie = 'jf_session=cookie-secret-Vb3';

    // A sane id is kept and echoed.
    const login = await post('/api/auth/login', { email: stack.admin.email, password: stack.admin.password }, { 'X-Request-Id': 'login-42.a:b' });
    expect(login.status).toBe(200);
    expect(login.headers.get('x-request-id')).toBe('login-42.a:b');
    const { token } = (await login.json()) as { token: string };

    // No id: one is made up and echoed.
    const refused = await post('/api/auth/login', { email: stack.admin.email, password: wrongPassword });
    expect(refused.status).toBe(401);
    const refusedId = refused.headers.get('x-request-id')!;
    expect(refusedId).toMatch(UUID);

    // An id that is not sane (spaces, quotes, too long) is replaced, not echoed.
    const me = await fetch(`${server.url}/api/auth/me`, {
      headers: { authorization: `Bearer ${token}`, cookie, 'x-request-id': 'has spaces "and quotes"' },
    });
    expect(me.status).toBe(200);
    const meId = me.headers.get('x-request-id')!;
    expect(meId).toMatch(UUID);
    const long = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'x'.repeat(129) } });
    expect(long.headers.get('x-request-id')).toMatch(UUID);

    await until(() => logLines().filter((l) => l.msg?.startsWith('GET /api/auth/me ')).length === 1, 'the access line of /api/auth/me');
    const lines = logLines();

    const ofLogin = lines.filter((l) => l.requestId === 'login-42.a:b');
    expect(ofLogin.map((l) => l.msg)).toEqual([expect.stringMatching(/^POST \/api\/auth\/login 200 [\d.]+ ms$/)]);
    expect(ofLogin[0]).toMatchObject({ level: 'info', name: 'server', method: 'POST', path: '/api/auth/login', route: '/api/auth/login', status: 200 });

    // The refused sign-in logs why, within its request, then the access line.
    const ofRefused = lines.filter((l) => l.requestId === refusedId);
    expect(ofRefused.map((l) => l.msg)).toEqual(['sign-in refused', expect.stringMatching(/^POST \/api\/auth\/login 401 /)]);
    expect(ofRefused[0]).toMatchObject({ email: stack.admin.email, reason: 'wrong password' });

    // At debug level the headers are there, with the credentials redacted.
    const ofMe = lines.filter((l) => l.requestId === meId);
    expect(ofMe).toHaveLength(1);
    expect(ofMe[0]!.headers).toMatchObject({ authorization: '[Redacted]', cookie: '[Redacted]', 'x-request-id': 'has spaces "and quotes"' });

    const output = server.output();
    for (const secret of [stack.admin.password, wrongPassword, token, 'cookie-secret-Vb3', stack.env.JWT_SECRET!]) {
      expect(output.includes(secret), `the log output holds ${secret}`).toBe(false);
    }
  });
});
