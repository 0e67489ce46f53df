// One linter for every workspace: the recommended JavaScript and TypeScript rules,
// plus the boundaries between workspaces and between the engine's modules.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Server-side libraries: only the engine (core), the server and the worker may load them. */
const SERVER_LIBRARIES = ['pg', 'pg-*', 'ioredis', 'bee-queue', '@mikro-orm/*', '@socket.io/redis-*', 'koa', '@koa/*', 'socket.io', 'nodemailer'];
const ENGINE_AND_PROCESSES = ['@jobflow/core', '@jobflow/core/*', '@jobflow/server', '@jobflow/worker'];
/** Contracts are imported by package name, never by a path into another workspace. */
const CROSS_WORKSPACE_PATHS = ['**/shared/src/**', '**/core/src/**', '**/server/src/**', '**/worker/src/**', '**/ui/src/**', '**/cli/src/**'];

const restrict = (patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', 'test-results/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-control-regex': 'off',
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  {
    // What a browser or a script may import: no Node.js built-ins, no server libraries, no engine.
    files: ['shared/src/**'],
    rules: restrict([
      { group: ['node:*'], message: 'shared/ is browser-safe: no Node.js built-ins.' },
      { group: SERVER_LIBRARIES, message: 'shared/ is browser-safe: server libraries belong in core/.' },
      { group: ENGINE_AND_PROCESSES, message: 'shared/ may not depend on the engine or the processes.' },
      { group: CROSS_WORKSPACE_PATHS, message: 'Import another workspace by its package name.' },
    ]),
  },
  {
    files: ['ui/src/**', 'cli/src/**', 'client/src/**'],
    rules: restrict([
      { group: SERVER_LIBRARIES, message: 'Clients speak the public API: no server libraries.' },
      { group: ENGINE_AND_PROCESSES, message: 'Clients speak the public API through @jobflow/shared.' },
      { group: CROSS_WORKSPACE_PATHS, message: 'Import another workspace by its package name.' },
    ]),
  },
  {
    // The engine's modules reach each other only through their index (`../db`, never `../db/orm`).
    files: ['core/src/**'],
    rules: restrict([
      { group: ['@jobflow/server', '@jobflow/worker'], message: 'The engine does not depend on the processes built on it.' },
      // Up out of this module, then into another module's folder: `../db` (and `../../db` from a subfolder) is its index; `../db/orm` is not.
      { regex: '^(\\.\\./)+[^./][^/]*/', message: "Import another engine module through its index ('../db'), not its files." },
      { group: CROSS_WORKSPACE_PATHS, message: 'Import another workspace by its package name.' },
    ]),
  },
  {
    files: ['server/src/**'],
    rules: restrict([
      { group: ['@jobflow/worker'], message: 'The server does not depend on the worker: what both need lives in core/.' },
      { group: CROSS_WORKSPACE_PATHS, message: 'Import another workspace by its package name.' },
    ]),
  },
  {
    files: ['worker/src/**'],
    rules: restrict([
      { group: ['@jobflow/server'], message: 'The worker does not depend on the server: what both need lives in core/.' },
      { group: CROSS_WORKSPACE_PATHS, message: 'Import another workspace by its package name.' },
    ]),
  },
  {
    // Hand-written SQL lives in the *.queries.ts file of the module that owns the table it writes (ARCHITECTURE.md).
    files: ['core/src/**', 'server/src/**', 'worker/src/**'],
    ignores: ['**/*.queries.ts', 'core/src/db/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.name='defineStatement']", message: 'Define SQL statements in the owning module’s *.queries.ts file.' },
        {
          selector: "CallExpression[callee.property.name='execute'][callee.object.callee.property.name='getConnection']",
          message: 'Raw SQL through the ORM’s connection belongs in the owning module’s *.queries.ts file.',
        },
      ],
    },
  },
);
