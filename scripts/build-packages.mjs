#!/usr/bin/env node
// Builds the packages published to npm from the workspaces' TypeScript:
//
//   node scripts/build-packages.mjs [cli] [client] [--if-stale]
//
//   cli     cli/dist/jobflow.js: the `jobflow` command in one JavaScript file with
//           every dependency inlined (and their licences beside it)
//   client  client/dist/index.js (ESM) and client/dist/index.d.ts: the typed client
//           with the contracts it needs inlined, importing only its dependencies
//
// Both by default. --if-stale skips a package whose output is newer than its inputs.
// Plain JavaScript, so that it runs right after `npm ci`.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const at = (...parts) => join(root, ...parts);
const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'));

/** Newest modification time under the given files and folders. */
function newestMtime(paths) {
  let newest = 0;
  const visit = (path) => {
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat) return;
    if (stat.isDirectory()) for (const entry of readdirSync(path)) visit(join(path, entry));
    else newest = Math.max(newest, stat.mtimeMs);
  };
  paths.forEach(visit);
  return newest;
}

const isStale = (output, inputs) => {
  const built = statSync(output, { throwIfNoEntry: false });
  return !built || newestMtime(inputs.map((p) => at(p))) > built.mtimeMs;
};

/** The licence and changelog travel in each package. */
function copyReleaseFiles(workspace) {
  for (const file of ['LICENSE', 'CHANGELOG.md']) copyFileSync(at(file), at(workspace, file));
}

/** Writes through a temporary file, so a concurrent reader never sees half a file. */
function writeAtomically(path, text) {
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, text);
  renameSync(temp, path);
}

/** `node_modules/zod/...` -> `zod`; `node_modules/@a/b/...` -> `@a/b`. */
function packageOf(input) {
  const parts = input.split(/[\\/]/);
  const at = parts.lastIndexOf('node_modules');
  if (at === -1) return null;
  const name = parts[at + 1]?.startsWith('@') ? `${parts[at + 1]}/${parts[at + 2]}` : parts[at + 1];
  return { name, dir: parts.slice(0, at + 1 + name.split('/').length).join(sep) };
}

/** Every package inlined in a bundle, with its version, licence and licence text. */
function thirdPartyNotices(metafile) {
  const packages = new Map();
  for (const input of Object.keys(metafile.inputs)) {
    const found = packageOf(input);
    if (found && !packages.has(found.name)) packages.set(found.name, resolve(root, found.dir));
  }
  const sections = [...packages]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, dir]) => {
      const manifest = readJson(join(dir, 'package.json'));
      const licenceFile = readdirSync(dir).find((f) => /^licen[cs]e(\.|$)/i.test(f));
      const text = licenceFile ? readFileSync(join(dir, licenceFile), 'utf8').trim() : `Licensed under ${manifest.license}.`;
      return `${name} ${manifest.version} (${manifest.license})\n\n${text}\n`;
    });
  return `The jobflow command includes the following packages.\n\n${sections.join('\n' + '-'.repeat(72) + '\n\n')}`;
}

/**
 * The command loads Socket.IO when its first socket opens: most commands make a
 * REST call or two and exit, and evaluating Socket.IO (its polling transport
 * loads child_process) would cost them more than the call. `io` is the one
 * value the client imports from it.
 */
const lazySocketIo = {
  name: 'lazy-socket.io-client',
  setup(build) {
    build.onResolve({ filter: /^socket\.io-client$/ }, (args) => (args.namespace === 'lazy' ? undefined : { path: 'socket.io-client', namespace: 'lazy' }));
    build.onLoad({ filter: /.*/, namespace: 'lazy' }, () => ({
      contents: "let loaded;\nexport const io = (...args) => (loaded ??= require('socket.io-client')).io(...args);\n",
      resolveDir: root,
      loader: 'js',
    }));
  },
};

/**
 * The command speaks English: of zod's error-message locales it bundles English
 * only, a third less code to compile at every start.
 */
const englishOnlyZod = {
  name: 'english-only-zod',
  setup(build) {
    build.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, () => ({ contents: 'export { default as en } from "./en.js";\n', loader: 'js' }));
  },
};

async function buildCli() {
  const outfile = at('cli/dist/jobflow.js');
  const result = await build({
    entryPoints: [at('cli/src/bin.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: `${outfile}.tmp`,
    // Bundled CommonJS dependencies (ws, debug) call require(): give the ES module one.
    banner: { js: "import { createRequire as __jobflowCreateRequire } from 'node:module';\nconst require = __jobflowCreateRequire(import.meta.url);" },
    // Smaller to parse at every start; names are kept so that an unexpected error's stack still reads.
    minifyWhitespace: true,
    minifySyntax: true,
    // Error classes name themselves from `new.target.name`: bundling must not rename them.
    keepNames: true,
    legalComments: 'none',
    plugins: [lazySocketIo, englishOnlyZod],
    metafile: true,
    logLevel: 'warning',
  });
  renameSync(`${outfile}.tmp`, outfile);
  chmodSync(outfile, 0o755);
  writeAtomically(at('cli/dist/THIRD-PARTY-LICENSES.txt'), thirdPartyNotices(result.metafile));
  copyReleaseFiles('cli');
}

/** After a fresh `npm ci` the bundle did not exist yet, so npm linked no `jobflow`: link it now. */
function linkBin() {
  if (existsSync(at('node_modules/.bin/jobflow'))) return;
  execFileSync('npm', ['rebuild', '@jobflow/cli', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: root, stdio: 'inherit' });
}

const VALUE_DECLARATION = /^export declare (const|let|var|function|class|abstract class|enum) ([\w$]+)/gm;

/**
 * The contracts re-export their schemas with `export type *`: usable in types
 * (`typeof RunDto`), absent from the JavaScript. The bundled declarations lose
 * that, so each value declared but not exported by the code is exported again
 * as a type only, with its type alias of the same name: a script that used it
 * as a value fails to compile instead of at run time. Every value the code
 * exports must be declared.
 */
function typeOnlyWhereTheCodeIs(declarations, jsExports) {
  const typeOnly = new Set();
  let text = declarations.replace(VALUE_DECLARATION, (line, kind, name) => {
    if (jsExports.has(name)) return line;
    typeOnly.add(name);
    return `declare ${kind} ${name}`;
  });
  for (const name of typeOnly) text = text.replace(new RegExp(`^export (type|interface) ${name.replace(/\$/g, '\\$')}\\b`, 'gm'), '$1 ' + name);
  const declared = new Set([...text.matchAll(VALUE_DECLARATION)].map((m) => m[2]));
  const missing = [...jsExports].filter((name) => !declared.has(name));
  if (missing.length) throw new Error(`client/dist/index.d.ts declares no ${missing.join(', ')}, which client/dist/index.js exports.`);
  if (!typeOnly.size) return text;
  return `${text.trimEnd()}\nexport type {\n${[...typeOnly].map((name) => `\t${name},\n`).join('')}};\n`;
}

async function buildClient() {
  const manifest = readJson(at('client/package.json'));
  const dependencies = Object.keys(manifest.dependencies ?? {});
  const result = await build({
    entryPoints: [at('client/src/index.ts')],
    bundle: true,
    // Browsers and Node alike: the client uses fetch and socket.io-client only.
    platform: 'neutral',
    mainFields: ['module', 'main'],
    format: 'esm',
    target: 'es2022',
    outfile: at('client/dist/index.js'),
    external: dependencies,
    keepNames: true,
    metafile: true,
    logLevel: 'warning',
  });
  // The contracts are inlined; any other package must be a dependency, not copied in unnoticed.
  const strays = Object.keys(result.metafile.inputs).filter((input) => packageOf(input) !== null);
  if (strays.length) {
    throw new Error(`@jobflow/client would inline ${strays.join(', ')}: add the package to client/package.json "dependencies" or keep the client off it.`);
  }

  // The declarations in one file: the contracts' types inlined, the dependencies' imported.
  const { generateDtsBundle } = await import('dts-bundle-generator');
  const [bundled] = generateDtsBundle([{ filePath: at('client/src/index.ts'), output: { noBanner: true, exportReferencedTypes: false } }], {
    preferredConfigPath: at('client/tsconfig.build.json'),
  });
  const jsExports = Object.values(result.metafile.outputs).flatMap((output) => output.exports);
  const declarations = typeOnlyWhereTheCodeIs(bundled, new Set(jsExports));
  const imported = [...declarations.matchAll(/\bfrom\s+['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1] ?? m[2]);
  const undeclared = [...new Set(imported)].filter((specifier) => !dependencies.some((dep) => specifier === dep || specifier.startsWith(`${dep}/`)));
  if (undeclared.length) throw new Error(`client/dist/index.d.ts imports ${undeclared.join(', ')}, which @jobflow/client does not depend on.`);
  writeAtomically(at('client/dist/index.d.ts'), declarations);
  copyReleaseFiles('client');
}

const PACKAGES = {
  cli: {
    build: buildCli,
    output: 'cli/dist/jobflow.js',
    inputs: ['cli/src', 'cli/package.json', 'shared/src', 'shared/package.json', 'package-lock.json', 'LICENSE', 'CHANGELOG.md', 'scripts/build-packages.mjs'],
  },
  client: {
    build: buildClient,
    output: 'client/dist/index.d.ts',
    inputs: [
      'client/src',
      'client/package.json',
      'client/tsconfig.build.json',
      'shared/src',
      'shared/package.json',
      'package-lock.json',
      'LICENSE',
      'CHANGELOG.md',
      'scripts/build-packages.mjs',
    ],
  },
};

const args = process.argv.slice(2);
const isIfStale = args.includes('--if-stale');
const names = args.filter((a) => !a.startsWith('--'));
for (const name of names) if (!PACKAGES[name]) throw new Error(`unknown package "${name}": use ${Object.keys(PACKAGES).join(' or ')}`);
for (const name of names.length ? names : Object.keys(PACKAGES)) {
  const pkg = PACKAGES[name];
  if (isIfStale && !isStale(at(pkg.output), pkg.inputs)) continue;
  const started = Date.now();
  await pkg.build();
  console.log(`Built ${relative(root, at(pkg.output))} (${Date.now() - started} ms)`);
}
if ((!names.length || names.includes('cli')) && existsSync(at('node_modules'))) linkBin();
