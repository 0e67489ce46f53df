#!/usr/bin/env node
// The `jobflow` executable: bundled with its dependencies into dist/jobflow.js.
import { main } from './main';

process.exitCode = await main(process.argv.slice(2));
