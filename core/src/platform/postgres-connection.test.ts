import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pgConnectionConfig, postgresTls, withoutTlsParams } from './postgres-connection';
import { redisConnection } from './redis';

const dir = mkdtempSync(join(tmpdir(), 'jobflow-pem-'));
const ca = join(dir, 'ca.pem');
writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const base = 'postgres://jobflow:secret@db.example.com:5432/jobflow';

describe('postgresTls reads a DATABASE_URL as libpq does', () => {
  it('no TLS parameter, or sslmode=disable: plaintext', () => {
    expect(postgresTls(base)).toBe(false);
    expect(postgresTls(`${base}?sslmode=disable&sslrootcert=${ca}`)).toBe(false);
  });

  it('prefer and require encrypt without checking; require with a CA checks the chain only', () => {
    expect(postgresTls(`${base}?sslmode=prefer`)).toEqual({ rejectUnauthorized: false });
    expect(postgresTls(`${base}?sslmode=require`)).toEqual({ rejectUnauthorized: false });
    const withCa = postgresTls(`${base}?sslmode=require&sslrootcert=${ca}`) as Exclude<ReturnType<typeof postgresTls>, false>;
    expect(withCa.rejectUnauthorized).toBeUndefined();
    expect(withCa.ca).toContain('BEGIN CERTIFICATE');
    expect(withCa.checkServerIdentity!('anything', {} as never)).toBeUndefined();
  });

  it('verify-full checks the host of the URL, also when TLS is asked without a mode', () => {
    for (const url of [`${base}?sslmode=verify-full&sslrootcert=${ca}`, `${base}?sslrootcert=${ca}`, `${base}?ssl=true`]) {
      const tls = postgresTls(url) as Exclude<ReturnType<typeof postgresTls>, false>;
      expect(tls.rejectUnauthorized, url).toBeUndefined();
      const refused = tls.checkServerIdentity!('localhost', { subject: { CN: 'other.example.com' }, subjectaltname: 'DNS:other.example.com' } as never);
      expect(refused?.message, url).toMatch(/db\.example\.com/);
      expect(tls.checkServerIdentity!('localhost', { subject: { CN: 'db.example.com' }, subjectaltname: 'DNS:db.example.com' } as never)).toBeUndefined();
    }
    expect(postgresTls(`${base}?sslmode=verify-full&sslrootcert=system`)).not.toHaveProperty('ca');
  });

  it('refuses an unknown mode, an unreadable file and half a client certificate, with a readable message', () => {
    expect(() => postgresTls(`${base}?sslmode=verify`)).toThrow('sslmode=verify is not one of disable, prefer, require, verify-ca, verify-full');
    expect(() => postgresTls(`${base}?sslmode=verify-full&sslrootcert=/nowhere/ca.pem`)).toThrow('sslrootcert=/nowhere/ca.pem cannot be read (ENOENT)');
    expect(() => postgresTls(`${base}?sslcert=${ca}`)).toThrow('sslcert and sslkey go together');
  });

  it('hands pg the URL without its TLS parameters, so they cannot override the TLS given', () => {
    const url = `${base}?sslmode=require&application_name=jf&sslrootcert=${ca}`;
    expect(withoutTlsParams(url)).toBe(`${base}?application_name=jf`);
    expect(pgConnectionConfig(url, false)).toEqual({ connectionString: `${base}?application_name=jf`, ssl: false });
  });
});

describe('redisConnection reads a REDIS_URL once for every client', () => {
  it('rediss:// with an ACL user, a password, a database and a CA file', () => {
    expect(redisConnection('rediss://jobflow:p%40ss@redis.example.com:6380/2', { caFile: ca })).toEqual({
      host: 'redis.example.com',
      port: 6380,
      db: 2,
      username: 'jobflow',
      password: 'p@ss',
      tls: { ca: expect.stringContaining('BEGIN CERTIFICATE') },
      label: 'rediss://jobflow:***@redis.example.com:6380/2',
    });
  });

  it('redis:// without a login: plaintext, database 0, password masked even without a user', () => {
    expect(redisConnection('redis://127.0.0.1:6379')).toEqual({ host: '127.0.0.1', port: 6379, db: 0, label: 'redis://127.0.0.1:6379' });
    expect(redisConnection('redis://:secret@127.0.0.1').label).toBe('redis://:***@127.0.0.1');
    expect(() => redisConnection('http://127.0.0.1:6379')).toThrow('must start with redis:// or rediss://');
  });
});
