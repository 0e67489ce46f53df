#!/usr/bin/env node
// Lays out the files the production image is made of, so that the Dockerfile
// and the test that rebuilds its runtime stage outside Docker copy the same ones.
// Plain JavaScript: it runs in the Dockerfile before any dependency is installed.
//
//   node scripts/runtime-files.mjs manifests DEST   package.json and package-lock.json of the root
//                                                  and of every workspace: enough for `npm ci`
//   node scripts/runtime-files.mjs dist DEST        every workspace's built output (server/dist,
//                                                  worker/dist, ui/dist, ...) after `npm run build`
import { cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const [mode, dest] = process.argv.slice(2);
if (!['manifests', 'dist'].includes(mode ?? '') || !dest) {
  console.error('usage: node scripts/runtime-files.mjs manifests|dist DEST');
  process.exit(2);
}

const { workspaces = [] } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

/** Copies `path` (relative to the repository) into DEST at the same place. */
function copy(path) {
  const target = join(dest, path);
  mkdirSync(dirname(target), { recursive: true });
  cpSync(join(root, path), target, { recursive: true, dereference: true });
}

if (mode === 'manifests') {
  copy('package.json');
  copy('package-lock.json');
  for (const workspace of workspaces) copy(join(workspace, 'package.json'));
} else {
  const built = workspaces.filter((workspace) => existsSync(join(root, workspace, 'dist')));
  if (!built.length) {
    console.error('Nothing is built: run `npm run build` first.');
    process.exit(1);
  }
  for (const workspace of built) copy(join(workspace, 'dist'));
}
