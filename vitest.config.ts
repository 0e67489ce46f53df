import { existsSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

/** Node tests run against real PostgreSQL and Redis; the UI has a project of its own. */
export default defineConfig({
  test: {
    globalSetup: ['tests/support/global-setup.ts'],
    projects: [
      {
        test: {
          name: 'node',
          sequence: { groupOrder: 0 },
          include: [
            'shared/src/**/*.test.ts',
            'core/src/**/*.test.ts',
            'server/src/**/*.test.ts',
            'worker/src/**/*.test.ts',
            'cli/src/**/*.test.ts',
            'tests/**/*.test.ts',
          ],
          exclude: ['tests/e2e/**', '**/node_modules/**'],
          setupFiles: ['tests/support/leak-check.ts'],
          pool: 'forks',
          maxWorkers: 2,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'e2e',
          sequence: { groupOrder: 2 },
          include: ['tests/e2e/**/*.test.ts'],
          setupFiles: ['tests/support/leak-check.ts'],
          pool: 'forks',
          maxWorkers: 1,
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      ...(existsSync('ui/vitest.config.ts') ? ['ui/vitest.config.ts'] : []),
    ],
  },
});
