import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { instructions, readDockerfile, stage } from './dockerfile';
import { repoPath } from './tools';

/**
 * The image cannot be built here (no Docker engine): these checks read the
 * Dockerfile the way Docker does. runtime-image.test.ts rebuilds its runtime
 * stage outside Docker and starts it.
 */
describe('Dockerfile', () => {
  const stages = readDockerfile();
  const runtime = stages.at(-1)!;

  it('builds in stages and ends with the runtime on Node 24 LTS (bookworm-slim)', () => {
    expect(stages.map((s) => s.name)).toEqual(['manifests', 'deps', 'build', 'prod-deps', 'runtime']);
    expect(runtime.base).toBe('node:24-bookworm-slim');
    for (const s of stages) expect(s.base, `stage ${s.name}`).toMatch(/^(node:24-bookworm-slim|manifests|deps|build|prod-deps)$/);
  });

  it('installs the production dependencies of the server and worker only, from the lock file', () => {
    const installs = instructions(stage(stages, 'prod-deps'), 'RUN').map((r) => r.args);
    expect(installs.join(' && ')).toMatch(/\bnpm ci\b.*--omit=dev/);
    expect(installs.join(' ')).toContain('--workspace=server');
    expect(installs.join(' ')).toContain('--workspace=worker');
    // The full install (with dev dependencies) exists only for the build.
    expect(instructions(stage(stages, 'deps'), 'RUN').map((r) => r.args)).toEqual(['npm ci --no-audit --no-fund']);
    expect(instructions(stage(stages, 'build'), 'RUN')[0]!.args).toMatch(/^npm run build && node scripts\/runtime-files\.mjs dist \/dist$/);
    expect(instructions(stage(stages, 'manifests'), 'RUN')[0]!.args).toBe('node scripts/runtime-files.mjs manifests /manifests');
  });

  it('copies into the runtime only the production dependencies, the built files and the health check', () => {
    const copies = instructions(runtime, 'COPY');
    expect(copies.map((c) => [c.flags.from ?? null, c.args])).toEqual([
      ['prod-deps', '/app/ ./'],
      ['build', '/dist/ ./'],
      [null, 'deploy/docker/healthcheck.mjs deploy/docker/healthcheck.mjs'],
    ]);
    expect(instructions(runtime, 'ADD')).toEqual([]);
    // No package manager at run time: nothing is installed in the runtime stage but tini.
    for (const r of instructions(runtime, 'RUN')) expect(r.args).not.toMatch(/\b(npm|npx|yarn|pnpm)\b/);
  });

  it('runs as the unprivileged node user under tini', () => {
    const users = instructions(runtime, 'USER');
    expect(users.at(-1)?.args).toBe('node');
    expect(runtime.instructions.findLastIndex((i) => i.keyword === 'USER')).toBeGreaterThan(
      runtime.instructions.findLastIndex((i) => ['RUN', 'COPY'].includes(i.keyword)),
    );
    expect(instructions(runtime, 'RUN').some((r) => /apt-get install .*\btini\b/.test(r.args))).toBe(true);
    expect(instructions(runtime, 'ENTRYPOINT').at(-1)?.exec).toEqual(['/usr/bin/tini', '--']);
  });

  it('starts the compiled server by default, listening on every address in production mode', () => {
    expect(instructions(runtime, 'CMD').at(-1)?.exec).toEqual(['node', 'server/dist/main.js']);
    const env = Object.fromEntries(
      instructions(runtime, 'ENV')
        .flatMap((e) => e.args.split(' '))
        .map((pair) => pair.split('=', 2)),
    );
    expect(env).toMatchObject({ NODE_ENV: 'production', HOST: '0.0.0.0', PORT: '3000', HEALTH_PORT: '3001' });
    expect(
      instructions(runtime, 'EXPOSE')
        .flatMap((e) => e.args.split(' '))
        .sort(),
    ).toEqual(['3000', '3001']);
    for (const i of runtime.instructions.filter((i) => ['CMD', 'ENTRYPOINT', 'HEALTHCHECK'].includes(i.keyword))) {
      expect(i.args, i.keyword).not.toMatch(/\b(tsx|npx|ts-node|typescript)\b|\.ts\b/);
    }
  });

  it('has a health check that works for every role, with a script the image contains', () => {
    const [check] = instructions(runtime, 'HEALTHCHECK');
    expect(check, 'HEALTHCHECK').toBeDefined();
    expect(check!.args).toBe('CMD ["node", "deploy/docker/healthcheck.mjs"]');
    expect(check!.flags).toMatchObject({ interval: expect.any(String), timeout: expect.any(String), retries: expect.any(String) });
    expect(existsSync(repoPath('deploy/docker/healthcheck.mjs'))).toBe(true);
  });

  it('keeps dependencies, build output and local secrets out of the build context', () => {
    const ignored = readFileSync(repoPath('.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    expect(ignored).toEqual(expect.arrayContaining(['**/node_modules', '**/dist', '.git', '.env', '.env.*']));
    // What the build needs must not be ignored.
    for (const needed of ['package-lock.json', 'scripts', 'deploy/docker', 'server', 'worker', 'shared', 'ui']) {
      expect(ignored, needed).not.toContain(needed);
    }
  });
});
