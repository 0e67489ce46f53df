import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';
import solid from 'vite-plugin-solid';
import { paramsValidators } from './params-validators.plugin';

export default defineProject({
  plugins: [solid(), paramsValidators()],
  root: fileURLToPath(new URL('.', import.meta.url)),
  resolve: { conditions: ['development', 'browser'] },
  test: {
    name: 'ui',
    sequence: { groupOrder: 1 },
    environment: 'happy-dom',
    include: ['src/**/*.test.{ts,tsx}'],
  },
});
