#!/usr/bin/env node
// Launcher: the command is written in TypeScript and runs through tsx, in this
// same process (so exit codes and signals need no forwarding). tsx is resolved
// from this file's real location, which also holds after `npm link`.
import { register } from 'tsx/esm/api';

// Ignore whatever tsconfig.json the current directory has: the sources need none.
register({ tsconfig: false });
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv.slice(2));
