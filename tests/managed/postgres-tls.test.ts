import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pingPostgres } from '@jobflow/core/platform';
import type { LogPageDto } from '@jobflow/shared';
import { uniquePrefix } from '../support/db';
import { makeCertificates, runTs, startProcesses, startTlsPostgres, type TestCertificates, type TlsPostgres } from '../support/managed-services';
import { killAll } from '../support/processes';

/**
 * A PostgreSQL that accepts TLS only (`hostssl` lines, no `host`), as a
 * managed service does: every connection every process opens (migrations
 * creating the database, the admin command, both pools of the server and of
 * the worker) honours `sslmode` and `sslrootcert` from DATABASE_URL.
 */
let certs: TestCertificates | undefined;
let cluster: TlsPostgres | undefined;

beforeAll(async () => {
  certs = await makeCertificates();
  cluster = await startTlsPostgres(certs);
}, 90_000);
afterAll(async () => {
  await killAll();
  await cluster?.stop();
  certs?.remove();
}, 60_000);

const redis = { REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' };

describe('a TLS-only PostgreSQL', { timeout: 180_000 }, () => {
  it('with sslmode=verify-full and sslrootcert: migrations create the database, then a server and a worker run a job end to end', async () => {
    const databaseUrl = cluster!.url('jobflow_tls', { sslmode: 'verify-full', sslrootcert: certs!.ca });
    const stack = await startProcesses({ ...redis, DATABASE_URL: databaseUrl, REDIS_PREFIX: uniquePrefix() });
    try {
      expect(stack.migrateOutput).toContain('Created database jobflow_tls.');
      const run = await stack.runToEnd({ type: 'shell', params: { script: 'echo over TLS' } });
      expect(run.status).toBe('succeeded');
      const logs = await stack.api<LogPageDto>('GET', `/api/runs/${run.id}/logs`);
      expect(logs.body.items.map((l) => l.text)).toContain('over TLS');
    } finally {
      await stack.stop();
    }
  });

  it('a URL without TLS is refused, with a message that says to add sslmode', async () => {
    await expect(pingPostgres(cluster!.url('jobflow_tls'))).rejects.toThrow(
      /^PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:\d+\/jobflow_tls refused a connection without TLS \(.*no encryption\): add sslmode=verify-full/,
    );
  });

  it('a certificate from another CA stops a process at start, with one line naming the cause', async () => {
    const url = cluster!.url('jobflow_tls', { sslmode: 'verify-full', sslrootcert: certs!.otherCa });
    const ran = await runTs('server/src/migrate.ts', { DATABASE_URL: url });
    expect(ran.code).toBe(1);
    const lines = ran.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:\d+\/jobflow_tls failed the TLS check: (self[- ]signed certificate in certificate chain|unable to verify the first certificate) \(check sslmode and sslrootcert in DATABASE_URL\)\.$/,
    );
  });

  it('sslmode=require encrypts without checking the certificate; verify-ca checks the chain, verify-full the host name too', async () => {
    await expect(pingPostgres(cluster!.url('jobflow_tls', { sslmode: 'require' }))).resolves.toBeUndefined();
    await expect(pingPostgres(cluster!.url('jobflow_tls', { sslmode: 'verify-full' }))).rejects.toThrow(/failed the TLS check/);
    // The certificate names 127.0.0.1 and localhost, not 127.0.0.2 (where the cluster listens too).
    const at = (mode: string) => cluster!.url('jobflow_tls', { sslmode: mode, sslrootcert: certs!.ca }).replace('127.0.0.1', '127.0.0.2');
    await expect(pingPostgres(at('verify-ca'))).resolves.toBeUndefined();
    await expect(pingPostgres(at('verify-full'))).rejects.toThrow(/failed the TLS check: .*127\.0\.0\.2/);
    await expect(pingPostgres(at('verify-full').replace('127.0.0.2', 'localhost'))).resolves.toBeUndefined();
  });
});
