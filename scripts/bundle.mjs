#!/usr/bin/env node
// Compiles a workspace's entry points into dist/ as plain JavaScript: the
// Jobflow workspaces they import (@jobflow/*) are bundled in, every other
// package stays an import resolved from node_modules at run time, so
// production needs only its dependencies and these files (no TypeScript).
//
//   node ../scripts/bundle.mjs src/main.ts [src/other.ts ...]   (from the workspace)
import { rmSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { build } from 'esbuild';

const entries = process.argv.slice(2);
if (!entries.length) {
  console.error('usage: node scripts/bundle.mjs ENTRY.ts [ENTRY.ts ...]');
  process.exit(2);
}

/** Bare imports of anything but the workspaces stay imports. */
const externalPackages = {
  name: 'external-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@jobflow/') ? undefined : { path: args.path, external: true }));
  },
};

rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints: Object.fromEntries(entries.map((e) => [basename(e, extname(e)), e])),
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  // Error classes name themselves from `new.target.name`: bundling must not rename them.
  keepNames: true,
  plugins: [externalPackages],
  logLevel: 'warning',
});
