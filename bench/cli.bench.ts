import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jobflowFor, type BenchEnv } from './lib/env';
import { field } from './lib/http';
import { wallMs } from './lib/probe';
import { runCase, type CaseResult, type Side, type SideSample } from './lib/runner';
import { percentile } from './lib/stats';

const root = fileURLToPath(new URL('..', import.meta.url));
/** `jobflow` as npm links it: the bundle, started through its `#!/usr/bin/env node` line. */
const BIN = join(root, 'node_modules/.bin/jobflow');
const TSX = join(root, 'node_modules/tsx/dist/loader.mjs');

/** One program run to its end: wall time from spawn to exit, what it printed, how it exited. */
function timed(command: string, args: string[], env: Record<string, string>): Promise<{ ms: number; code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const start = wallMs();
    const child = spawn(command, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ ms: wallMs() - start, code, stdout, stderr }));
  });
}

/**
 * cli: how long `jobflow --help` and `jobflow whoami` (one REST call to a live
 * server) take from spawn to exit, median and p95 over many runs per repeat:
 * the bundled command (what npm installs), beside `node -e 0` (Node's own
 * start-up, the floor) and the same sources run through tsx (how the command
 * started before it was bundled). Each invocation is checked: exit 0 and the
 * expected output.
 */
export async function cliBench(env: BenchEnv): Promise<CaseResult[]> {
  const built = await timed(process.execPath, [join(root, 'scripts/build-packages.mjs'), 'cli', '--if-stale'], { PATH: process.env.PATH ?? '' });
  if (built.code !== 0) throw new Error(`building the command failed: ${built.stderr}`);
  const jf = await jobflowFor(env, { workers: 0 });
  const created = await jf.http.request('POST', '/api/tokens', { token: jf.token, body: { name: 'bench cli' } });
  if (created.status !== 201) throw new Error(`creating a token failed: ${created.status} ${created.text}`);
  const me = await jf.http.request('GET', '/api/auth/me', { token: jf.token });
  const email = String(field(field(me.body, 'user'), 'email'));
  const home = mkdtempSync(join(tmpdir(), 'jobflow-bench-cli-'));
  const childEnv = { PATH: process.env.PATH ?? '', HOME: home, JOBFLOW_URL: jf.url, JOBFLOW_TOKEN: String(field(created.body, 'token')) };
  const invocations = env.isQuick ? 5 : 20;
  // Through tsx a run takes seconds: fewer of them still give a steady median.
  const tsxInvocations = env.isQuick ? 3 : 10;

  const commandOf: Record<Side, (args: string[]) => [string, string[]]> = {
    jobflow: (args) => [BIN, args],
    node: () => [process.execPath, ['-e', '0']],
    tsx: (args) => [process.execPath, ['--import', TSX, join(root, 'cli/src/bin.ts'), ...args]],
  };

  async function repeat(side: Side): Promise<SideSample> {
    const problems: string[] = [];
    const measure = async (args: string[], expected: (stdout: string) => boolean) => {
      const times: number[] = [];
      for (let i = 0; i < (side === 'tsx' ? tsxInvocations : invocations); i++) {
        const [command, argv] = commandOf[side]!(args);
        const result = await timed(command, argv, childEnv);
        times.push(result.ms);
        if (result.code !== 0 || !expected(result.stdout)) {
          if (problems.length < 5)
            problems.push(`${side} ${args.join(' ')}: exit ${result.code}, ${JSON.stringify((result.stdout + result.stderr).slice(0, 200))}`);
        }
      }
      return { median: percentile(times, 50), p95: percentile(times, 95) };
    };
    const isPeerNode = side === 'node';
    const help = await measure(['--help'], (out) => isPeerNode || out.startsWith('Usage: jobflow <command>'));
    const whoami = await measure(['whoami'], (out) => isPeerNode || out.includes(email));
    return {
      metrics: { helpMedianMs: help.median, helpP95Ms: help.p95, whoamiMedianMs: whoami.median, whoamiP95Ms: whoami.p95 },
      verified: ['every invocation exited 0 with the expected output (usage; the signed-in email)'],
      problems,
      procs: {},
    };
  }

  try {
    const result = await runCase(
      {
        id: 'cli',
        workload: `jobflow --help and jobflow whoami (a REST call to a live server), ${invocations} runs each per repeat (${tsxInvocations} through tsx), spawn to exit`,
        peer: 'node -e 0 (Node start-up alone); the sources through tsx (before the bundle)',
        peers: [
          { side: 'node', name: 'node -e 0' },
          { side: 'tsx', name: 'sources through tsx' },
        ],
        warmup: true,
        repeats: env.repeats,
        rows: [
          { label: '--help median', metric: 'helpMedianMs', unit: 'ms', peer: 'node', targets: [{ kind: 'abs<=', value: 150, text: '≤ 150 ms' }] },
          { label: '--help p95', metric: 'helpP95Ms', unit: 'ms', peer: 'node', targets: [] },
          { label: 'whoami median', metric: 'whoamiMedianMs', unit: 'ms', peer: 'node', targets: [{ kind: 'abs<=', value: 300, text: '≤ 300 ms' }] },
          { label: 'whoami p95', metric: 'whoamiP95Ms', unit: 'ms', peer: 'node', targets: [] },
          { label: '--help median, before', metric: 'helpMedianMs', unit: 'ms', peer: 'tsx', targets: [] },
          { label: 'whoami median, before', metric: 'whoamiMedianMs', unit: 'ms', peer: 'tsx', targets: [] },
        ],
        run: (side) => repeat(side),
      },
      env.log,
    );
    return [result];
  } finally {
    rmSync(home, { recursive: true, force: true });
    await jf.stop();
  }
}
