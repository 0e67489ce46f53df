/**
 * Runs one server and WORKERS worker processes (default 1) side by side,
 * prefixing their output; stops all of them on SIGINT/SIGTERM, or when one
 * exits. With DEV=1 they reload on change and Vite serves the UI on :5173.
 */
import { spawn, type ChildProcess } from 'node:child_process';

const workers = Math.max(1, Number(process.env.WORKERS ?? 1) || 1);
const children: ChildProcess[] = [];
let stopping = false;

const isDev = process.env.DEV === '1';

function run(name: string, entry: string, args = isDev ? ['--import', 'tsx', '--watch', entry] : ['--import', 'tsx', entry], command = process.execPath) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
  const prefix = (chunk: Buffer) =>
    chunk
      .toString()
      .split('\n')
      .filter(Boolean)
      .map((l) => `[${name}] ${l}\n`)
      .join('');
  child.stdout!.on('data', (c: Buffer) => process.stdout.write(prefix(c)));
  child.stderr!.on('data', (c: Buffer) => process.stderr.write(prefix(c)));
  child.on('exit', (code) => {
    if (!stopping) {
      process.stderr.write(`[${name}] exited with code ${code}; stopping Jobflow\n`);
      stop(code || 1);
    }
  });
  children.push(child);
}

function stop(code = 0) {
  stopping = true;
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : null))).then(() => process.exit(code));
}

run('server', 'server/src/main.ts');
for (let i = 1; i <= workers; i++) run(workers > 1 ? `worker ${i}` : 'worker', 'worker/src/main.ts');
if (isDev) run('ui', 'ui', ['run', 'dev', '--workspace', 'ui'], 'npm');
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));
