import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { requireCommand } from '../deploy/tools';
import { jobflow } from './run-cli';

vi.setConfig({ testTimeout: 60_000 });

/** Nothing may reach a server: any call that tried would fail with network_error, not exit 2. */
const NOWHERE = { JOBFLOW_URL: 'http://127.0.0.1:9', JOBFLOW_TOKEN: 'jf_x' };

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'jobflow-cli-usage-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a mistyped command or option', () => {
  it('exits 2 and names what was probably meant, without asking the server', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['wohami'], /unknown command "wohami"\. Did you mean "whoami"\?/],
      [['tokns', 'list'], /unknown command "tokns"\. Did you mean "tokens"\?/],
      [['run', 'nightly', '--folow'], /Unknown option '--folow'\. Did you mean --follow\?/],
      [['jobs', '--limt', '5'], /Unknown option '--limt'\. Did you mean --limit\?/],
      [['tokens', 'lsit'], /Unknown subcommand "lsit": use create, list or revoke\. Did you mean "list"\?/],
      [['job', 'craete', '--name', 'x'], /Did you mean "create"\?/],
      [['completion', 'zhs'], /No completion for "zhs": use bash, zsh or fish\. Did you mean "zsh"\?/],
      [['--verison'], /unknown option "--verison"\. Did you mean --version\?/],
      [['help', 'wacth'], /unknown command "wacth"\. Did you mean "watch"\?/],
    ];
    const results = await Promise.all(cases.map(([args]) => jobflow(args, { env: NOWHERE })));
    results.forEach((result, i) => {
      const [args, message] = cases[i]!;
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.stderr).toMatch(message);
      expect(result.stderr).not.toMatch(/network_error/);
      expect(result.stdout).toBe('');
    });
  });

  it('suggests nothing when nothing is close', async () => {
    const [command, option] = await Promise.all([jobflow(['frobnicate'], { env: NOWHERE }), jobflow(['run', 'x', '--no-such-option'], { env: NOWHERE })]);
    expect(command.code).toBe(2);
    expect(command.stderr).toMatch(/unknown command "frobnicate"\.\n/);
    expect(option.code).toBe(2);
    expect(option.stderr).not.toMatch(/Did you mean/);
  });
});

const run = promisify(execFile);

async function script(shell: string): Promise<string> {
  const result = await jobflow(['completion', shell]);
  expect(result.code, result.stderr).toBe(0);
  const file = join(dir, `jobflow.${shell}`);
  await writeFile(file, result.stdout);
  return file;
}

describe('jobflow completion', () => {
  it('bash: sourced in a real bash, it completes commands, subcommands, options and file names', async () => {
    const file = await script('bash');
    const paramsFile = join(dir, 'params-for-completion.json');
    await writeFile(paramsFile, '{}');
    // What bash sets before it calls a completion function, for each line typed so far.
    const lines = [
      ['jobflow', 'wh'],
      ['jobflow', 'lo'],
      ['jobflow', '--no-color', 'tok'],
      ['jobflow', 'run', 'nightly', '--fo'],
      ['jobflow', 'tokens', 're'],
      ['jobflow', 'tokens', 'create', 'ci', '--expires-'],
      ['jobflow', 'job', 'create', '--params-file', paramsFile.slice(0, -6)],
      ['jobflow', 'run', '--param', 'a=b', '--q'],
      ['jobflow', 'completion', ''],
      ['jobflow', '--ver'],
    ];
    const program = [
      `source ${JSON.stringify(file)}`,
      'complete -p jobflow',
      'complete_line() { COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=(); "$(complete -p jobflow | sed -E "s/.* -F ([^ ]+) .*/\\1/")"; echo "${COMPREPLY[*]}"; }',
      ...lines.map((words) => `complete_line ${words.map((w) => JSON.stringify(w)).join(' ')}`),
      // compgen asks the completion as bash itself would for the word "who".
      'compgen -W "$(COMP_WORDS=(jobflow ""); COMP_CWORD=1; _jobflow; echo "${COMPREPLY[*]}")" -- who',
    ].join('\n');
    const { stdout } = await run('/bin/bash', ['--norc', '--noprofile', '-c', program], { env: { PATH: process.env.PATH ?? '' } });
    expect(stdout.split('\n').slice(0, -1)).toEqual([
      'complete -F _jobflow jobflow',
      'whoami',
      'login logout logs',
      'tokens',
      '--follow',
      'revoke',
      '--expires-in --expires-at',
      paramsFile,
      '--quiet',
      'bash zsh fish',
      '--version',
      'whoami',
    ]);
  });

  it('zsh: the script parses and registers _jobflow for jobflow', async (ctx) => {
    requireCommand(ctx, 'zsh', 'zsh');
    const file = await script('zsh');
    await run('zsh', ['-n', file]);
    const { stdout } = await run('zsh', [
      '-f',
      '-c',
      `autoload -U compinit && compinit -u -d ${join(dir, 'zcompdump')}; source ${file}; print -r -- $_comps[jobflow]`,
    ]);
    expect(stdout.trim()).toBe('_jobflow');
  });

  it('fish: the script parses and completes commands, subcommands and options with their descriptions', async (ctx) => {
    requireCommand(ctx, 'fish', 'fish');
    const file = await script('fish');
    await run('fish', ['--no-execute', file]);
    const complete = async (line: string) => {
      const { stdout } = await run('fish', ['--no-config', '-c', `source ${file}; complete -C${JSON.stringify(line)}`]);
      return stdout.trim().split('\n');
    };
    expect(await complete('jobflow wh')).toEqual(['whoami\tShow who the token belongs to, and which server it is for']);
    expect((await complete('jobflow tokens ')).map((l) => l.split('\t')[0])).toEqual(['create', 'list', 'revoke']);
    expect(await complete('jobflow run x --fol')).toEqual(['--follow\tstream the log until the run ends; exit with its outcome']);
    expect(await complete('jobflow completion ')).toEqual(['bash', 'fish', 'zsh']);
  });
});
