import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import Ajv from 'ajv';
import { describe, expect, it } from 'vitest';
import { durationMs, readComposeFile, renderCompose, type ComposeService } from './compose-file';
import { readDockerfile } from './dockerfile';

/**
 * `docker compose config` needs the Compose plugin, which this machine does
 * not have: the file is rendered here the way Compose renders it and checked
 * against the Compose Specification's JSON Schema.
 */
const file = readComposeFile();
const secrets = {
  POSTGRES_PASSWORD: 'pg-0123456789abcdef',
  REDIS_PASSWORD: 'redis-0123456789abcdef',
  JWT_SECRET: 'jwt-0123456789abcdef0123456789abcdef',
  SECRETS_KEY: 'c2VjcmV0cy1rZXktMzItYnl0ZXMtbG9uZy4uLi4uLi4=',
};
const { rendered, errors } = renderCompose(file, secrets);
const app = ['migrate', 'server', 'worker'] as const;
const service = (name: string): ComposeService => rendered.services[name]!;

describe('docker-compose.yml', () => {
  it('is a valid Compose file once its variables are set', () => {
    expect(errors).toEqual([]);
    const schemaPath = join(dirname(createRequire(import.meta.url).resolve('dclint/package.json')), 'schemas/compose.schema.json');
    // Draft 07, Ajv's own default; its $schema URL lacks the '#' Ajv registers it under.
    const { $schema: _draft07, ...schema } = JSON.parse(readFileSync(schemaPath, 'utf8'));
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    const valid = validate(rendered);
    expect(validate.errors ?? [], 'schema errors').toEqual([]);
    expect(valid).toBe(true);
    expect(Object.keys(rendered.services).sort()).toEqual(['migrate', 'postgres', 'redis', 'server', 'worker']);
  });

  it('refuses to start until every secret is given, naming each one', () => {
    const bare = renderCompose(file, {});
    const missing = bare.errors.map((e) => e.split(':')[0]).sort();
    expect(missing).toEqual(['JWT_SECRET', 'POSTGRES_PASSWORD', 'REDIS_PASSWORD', 'SECRETS_KEY']);
    for (const error of bare.errors) expect(error).toMatch(/: set \w+ \(openssl rand/);
  });

  it('writes no password, secret or token into the file: each comes from a variable', () => {
    const raw = JSON.stringify(file);
    for (const [, password] of raw.matchAll(/:\/\/[^:/@"]+:([^@"]+)@/g)) expect(password).toMatch(/^\$\{\w+:\?[^}]*\}$/);
    for (const [name, svc] of Object.entries(file.services)) {
      for (const [key, value] of Object.entries(svc.environment ?? {})) {
        if (/PASSWORD|SECRET|TOKEN|_KEY$|AUTH/.test(key)) expect(String(value), `${name}.${key}`).toMatch(/^\$\{\w+(:\?[^}]*|:-)\}$/);
      }
    }
    // The values given reach the processes that need them.
    for (const name of app) {
      expect(service(name).environment).toMatchObject({
        DATABASE_URL: `postgres://jobflow:${secrets.POSTGRES_PASSWORD}@postgres:5432/jobflow`,
        REDIS_URL: `redis://default:${secrets.REDIS_PASSWORD}@redis:6379`,
        JWT_SECRET: secrets.JWT_SECRET,
        SECRETS_KEY: secrets.SECRETS_KEY,
      });
    }
    expect(service('postgres').environment?.POSTGRES_PASSWORD).toBe(secrets.POSTGRES_PASSWORD);
    expect(service('redis').environment?.REDISCLI_AUTH).toBe(secrets.REDIS_PASSWORD);
    expect(service('redis').command?.join(' ')).toContain('--requirepass "$REDISCLI_AUTH"');
  });

  it('publishes only the server, and only on 127.0.0.1 unless BIND_ADDRESS says otherwise', () => {
    const published = Object.entries(rendered.services).flatMap(([name, svc]) => (svc.ports ?? []).map((p) => `${name} ${p}`));
    expect(published).toEqual(['server 127.0.0.1:3000:3000']);
    const opened = renderCompose(file, { ...secrets, BIND_ADDRESS: '0.0.0.0', PORT: '8080' }).rendered;
    expect(opened.services.server!.ports).toEqual(['0.0.0.0:8080:3000']);
  });

  it('runs the compiled entry points of the one image, never tsx', () => {
    const commands = Object.fromEntries(app.map((name) => [name, service(name).command]));
    expect(commands).toEqual({
      migrate: ['node', 'server/dist/migrate.js'],
      server: ['node', 'server/dist/main.js'],
      worker: ['node', 'worker/dist/main.js'],
    });
    for (const name of app) {
      expect(service(name).build, name).toBe('.');
      expect(service(name).image, name).toBe('jobflow:latest');
      expect(service(name).environment?.NODE_ENV, name).toBe('production');
    }
    expect(JSON.stringify(rendered)).not.toMatch(/\b(tsx|npx)\b|\.ts\b/);
    // The image runs them under tini; Compose must not replace its entrypoint.
    expect(
      readDockerfile()
        .at(-1)!
        .instructions.some((i) => i.keyword === 'ENTRYPOINT'),
    ).toBe(true);
    for (const name of app) expect(Object.keys(service(name)), name).not.toContain('entrypoint');
  });

  it('starts the server and workers once migrations succeeded and PostgreSQL and Redis are healthy', () => {
    expect(service('migrate').restart).toBe('no');
    expect(service('migrate').depends_on).toEqual({ postgres: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' } });
    for (const name of ['server', 'worker']) {
      expect(service(name).depends_on, name).toEqual({
        migrate: { condition: 'service_completed_successfully' },
        postgres: { condition: 'service_healthy' },
        redis: { condition: 'service_healthy' },
      });
    }
    for (const name of ['postgres', 'redis']) expect(service(name).healthcheck?.test, name).toBeDefined();
  });

  it("checks each worker's health on HEALTH_PORT and gives it time to finish its runs", () => {
    const worker = service('worker');
    expect(worker.environment).toMatchObject({ HEALTH_PORT: 3001, PUBLIC_URL: 'http://localhost:3000' });
    expect(worker.healthcheck?.test).toEqual(['CMD', 'node', 'deploy/docker/healthcheck.mjs', '/healthz']);
    const graceMs = Number(worker.environment!.SHUTDOWN_GRACE_MS);
    expect(graceMs).toBe(30_000);
    expect(durationMs(worker.stop_grace_period!)).toBeGreaterThan(graceMs + 5_000);
    expect(worker.deploy?.replicas).toBe('2');
    expect(renderCompose(file, { ...secrets, WORKERS: '5' }).rendered.services.worker!.deploy?.replicas).toBe('5');
    expect(renderCompose(file, { ...secrets, PUBLIC_URL: 'https://jobs.example.com' }).rendered.services.worker!.environment?.PUBLIC_URL).toBe(
      'https://jobs.example.com',
    );
  });

  it('checks the server on its readiness endpoint', () => {
    expect(service('server').healthcheck?.test).toEqual(['CMD', 'node', 'deploy/docker/healthcheck.mjs', '/readyz']);
    expect(service('migrate').healthcheck).toEqual({ disable: true });
  });
});

describe('Compose variable substitution (as the tests render it)', () => {
  it('follows the Compose rules for defaults, required values and escapes', () => {
    const doc = { services: { a: { command: ['${A:-x}', '${B-y}', '${C:+z}', '$$HOME', '${D:-${E:-deep}}', '$A'] } } };
    expect(renderCompose(doc, { A: '', B: '', C: 'c' }).rendered.services.a!.command).toEqual(['x', '', 'z', '$HOME', 'deep', '']);
    expect(renderCompose({ services: { a: { image: '${NEED:?give NEED}' } } }, {}).errors).toEqual(['NEED: give NEED']);
    expect(renderCompose({ services: { a: { image: '${NEED?x}' } } }, { NEED: '' }).errors).toEqual([]);
  });
});
