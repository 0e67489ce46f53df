import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pingRedis, redisConnection } from '@jobflow/core/platform';
import { createTestDatabase, uniquePrefix } from '../support/db';
import { makeCertificates, runTs, startProcesses, startTlsRedis, type TestCertificates } from '../support/managed-services';
import { killAll } from '../support/processes';
import { TEST_SECRETS_KEY } from '../support/stack';

/**
 * A Redis that speaks TLS only and wants a login, as managed Redis does:
 * `rediss://user:password@` reaches every client a process opens (ioredis,
 * the Socket.IO adapter, Bee-Queue's own clients), and preflight says in one
 * line what is wrong instead of hanging or calling a refused login "up".
 */
let certs: TestCertificates | undefined;
let redis: Awaited<ReturnType<typeof startTlsRedis>> | undefined;
let database: Awaited<ReturnType<typeof createTestDatabase>> | undefined;

beforeAll(async () => {
  certs = await makeCertificates();
  redis = await startTlsRedis(certs);
  database = await createTestDatabase();
}, 60_000);
afterAll(async () => {
  await killAll();
  await redis?.stop();
  await database?.drop();
  certs?.remove();
}, 60_000);

const url = (login: string) => `rediss://${login}@127.0.0.1:${redis!.port}`;

describe('a TLS-only Redis with a password', { timeout: 150_000 }, () => {
  it('over rediss:// as an ACL user, a server and a worker run a job end to end', async () => {
    const stack = await startProcesses({
      DATABASE_URL: database!.url,
      REDIS_URL: url(`jobflow:${redis!.userPassword}`),
      REDIS_TLS_CA_FILE: certs!.ca,
      REDIS_PREFIX: uniquePrefix(),
    });
    try {
      const run = await stack.runToEnd({ type: 'shell', params: { script: 'echo over rediss' } });
      expect(run.status).toBe('succeeded');
      expect((await fetch(`${stack.url}/readyz`)).status).toBe(200);
    } finally {
      await stack.stop();
    }
  });

  it('a wrong password stops a process at start with exit 1 and one line', async () => {
    const ran = await runTs('worker/src/main.ts', {
      DATABASE_URL: database!.url,
      REDIS_URL: url('jobflow:not-the-password'),
      REDIS_TLS_CA_FILE: certs!.ca,
      HEALTH_PORT: '0',
      SECRETS_KEY: TEST_SECRETS_KEY,
    });
    expect(ran.code).toBe(1);
    expect(ran.stderr.trim().split('\n')).toEqual([
      `Redis refused the password for rediss://jobflow:***@127.0.0.1:${redis!.port}: set the right user and password in REDIS_URL.`,
    ]);
  });

  it('preflight tells a missing password, an unknown CA and plaintext apart, each within its timeout', async () => {
    const ca = { caFile: certs!.ca };
    await expect(pingRedis(redisConnection(url(`:${redis!.password}`), ca))).resolves.toBeUndefined();
    await expect(pingRedis(redisConnection(url(`:wrong`), ca))).rejects.toThrow(/^Redis refused the password for rediss:\/\/:\*\*\*@127\.0\.0\.1:\d+/);
    await expect(pingRedis(redisConnection(`rediss://127.0.0.1:${redis!.port}`, ca))).rejects.toThrow(/^Redis at .* requires a password/);
    await expect(pingRedis(redisConnection(url(`:${redis!.password}`), { caFile: certs!.otherCa }))).rejects.toThrow(
      /^Redis at rediss:\/\/:\*\*\*@127\.0\.0\.1:\d+ failed the TLS check: .*certificate.* \(check rediss:\/\/ and REDIS_TLS_CA_FILE\)\.$/,
    );
    // A plain redis:// URL against the TLS port gets no answer it understands: unreachable, after the timeout, not a hang.
    await expect(pingRedis(redisConnection(`redis://:${redis!.password}@127.0.0.1:${redis!.port}`), 1500)).rejects.toThrow(
      /^Redis is unreachable at redis:\/\/:\*\*\*@/,
    );
  });
});
