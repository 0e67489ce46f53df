import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { buildOpenApi } from '@jobflow/server';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = (name: string) => join(root, 'node_modules/.bin', name);
const dir = mkdtempSync(join(tmpdir(), 'jobflow-openapi-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const document = buildOpenApi('0.1.0');
const file = join(dir, 'openapi.json');
writeFileSync(file, JSON.stringify(document));

describe('the OpenAPI document generated from the route list', () => {
  it('passes redocly lint with the recommended rules: no errors, no warnings', async () => {
    writeFileSync(join(dir, 'redocly.yaml'), 'extends:\n  - recommended\n');
    const { stdout } = await run(bin('redocly'), ['lint', file, '--config', join(dir, 'redocly.yaml'), '--format', 'json'], {
      cwd: dir,
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    }).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
    const report = JSON.parse(stdout.slice(stdout.indexOf('{'))) as { totals: { errors: number; warnings: number }; problems: { message: string }[] };
    expect(report.problems.map((p) => p.message)).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  }, 60_000);

  it('names every operation, says who may call it, and describes Run once', () => {
    const operations = Object.values(document.paths).flatMap((methods) => Object.values(methods)) as {
      operationId: string;
      security: unknown[];
      responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
    }[];
    expect(new Set(operations.map((o) => o.operationId)).size).toBe(operations.length);
    expect(document.paths['/api/auth/login']!.post).toMatchObject({ security: [] });
    expect(document.paths['/api/auth/me']!.get).toMatchObject({
      responses: { '200': { content: { 'application/json': { schema: { $ref: '#/components/schemas/Me' } } } } },
    });
    expect(document.paths['/api/job-types']!.get).toMatchObject({
      responses: { '200': { content: { 'application/json': { schema: { $ref: '#/components/schemas/JobTypeList' } } } } },
    });
    const text = JSON.stringify(document.paths);
    expect(text).not.toContain('"jobName"');
    const schemas = document.components.schemas as Record<string, { properties?: Record<string, unknown> }>;
    expect(JSON.stringify(schemas.Job)).toContain('"$ref":"#/components/schemas/Run"');
    expect(schemas.Run!.properties!.id).toMatchObject({ type: 'string', format: 'uuid' });
    expect(schemas.Run!.properties!.queuedAt).toMatchObject({ type: 'string', format: 'date-time' });
  });

  it('a REST client generated from it (openapi-typescript) type-checks a script written against it', async () => {
    await run(bin('openapi-typescript'), [file, '--output', join(dir, 'api.d.ts')], { cwd: dir });
    copyFileSync(fileURLToPath(new URL('./openapi-consumer/consumer.ts', import.meta.url)), join(dir, 'consumer.ts'));
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { strict: true, noEmit: true, target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler', skipLibCheck: false, types: [] },
        files: ['consumer.ts'],
      }),
    );
    const result = await run(bin('tsc'), ['-p', join(dir, 'tsconfig.json')], { cwd: dir }).catch((error: { stdout?: string }) => error);
    expect('stdout' in result ? result.stdout : '').toBe('');
  }, 60_000);
});
