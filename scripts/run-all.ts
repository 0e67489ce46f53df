/**
 * Runs one server and WORKERS worker processes (default 1) side by side,
 * prefixing their output; stops all of them on SIGINT/SIGTERM, or when one
 * exits. They run as compiled JavaScript (`npm run build`); with DEV=1 they
 * run from the TypeScript sources and reload on change, and Vite serves the UI
 * on :5173. Worker n serves its health port on HEALTH_PORT + n - 1 (3001, 3002...).
 */
import { spawn, type ChildProcess } from 'node:child_process';

const workers = Math.max(1, Number(process.env.WORKERS ?? 1) || 1);
const healthPort = Number(process.env.HEALTH_PORT ?? 3001) || 0;
const children: ChildProcess[] = [];
let stopping = false;

const isDev = process.env.DEV === '1';

/** The command line of a process: its compiled entry point, or with DEV=1 its source with reload. */
const entryArgs = (workspace: 'server' | 'worker') =>
  isDev ? ['--import', 'tsx', '--watch', `${workspace}/src/main.ts`] : ['--enable-source-maps', `${workspace}/dist/main.js`];

function run(name: string, args: string[], env: NodeJS.ProcessEnv = {}, command = process.execPath) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
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

run('server', entryArgs('server'));
for (let i = 1; i <= workers; i++) {
  run(workers > 1 ? `worker ${i}` : 'worker', entryArgs('worker'), { HEALTH_PORT: String(healthPort && healthPort + i - 1) });
}
if (isDev) run('ui', ['run', 'dev', '--workspace', 'ui'], {}, 'npm');
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));
