import type { RunDto } from '@jobflow/shared';
import type { JobflowClient } from '@jobflow/shared/client';
import { parseCommandArgs } from '../args';
import type { Command, OptionSpecs } from '../command';
import type { Context } from '../context';
import { loadClientLibrary } from '../client-library';
import { EXIT } from '../exit-codes';
import { note, printJson } from '../output';
import { applyAssignments, mergeParams, parseAssignments, readParamsFile, type ParamAssignment } from '../params';
import { describeRun, findJob, followToEnd, textPathsOfType } from '../runs';

const RUN_OPTIONS = {
  param: { type: 'string', multiple: true, short: 'p', description: 'override a param for this run: KEY=VALUE (dotted keys nest)' },
  'params-file': { type: 'string', isFile: true, description: 'params from a JSON object in FILE ("-" for stdin)' },
  follow: { type: 'boolean', short: 'f', description: 'stream the log until the run ends; exit with its outcome' },
  quiet: { type: 'boolean', description: "with --follow, no notes about the run's state" },
  'idempotency-key': { type: 'string', description: 'sent as Idempotency-Key (default: a new one): the same KEY within 24 h answers the same run' },
} as const satisfies OptionSpecs;

const FOLLOW_HELP = `  -f, --follow          stream the log until the run ends: the run's stdout lines to
                        stdout, its stderr lines to stderr, system lines to stderr
                        marked [system]; then exit 0 if it succeeded, 1 if it failed,
                        130 if it was cancelled
  --quiet               with --follow, no notes about the run's state on stderr
  --idempotency-key KEY  sent as Idempotency-Key (default: a new key each time); the
                        same KEY and params within 24 h answer the run the first
                        command started instead of starting another: give one when
                        a CI job may run this command again (e.g. the pipeline's id)
  --json                print the Run as JSON; with --follow, every event as one JSON
                        object per line: {"type":"log","line":{...}} or {"type":"run","run":{...}}`;

export const runCommand: Command = {
  name: 'run',
  summary: 'Start a run of a job; with --follow, stream its log and exit with its outcome',
  options: RUN_OPTIONS,
  usage: `Usage: jobflow run <job> [--param KEY=VALUE ...] [--params-file FILE] [--follow] [--idempotency-key KEY]

Starts a run of <job> (its id, or its exact name) and prints the run's id. While
the server restarts (refused connections, 502, 503, 504), the start is sent again
with the same Idempotency-Key, so it starts one run at most (JOBFLOW_RETRY_SEC).

Options:
  -p, --param KEY=VALUE  override one of the job's params for this run; VALUE is JSON
                        when it parses, else text (as typed where the type wants text);
                        dotted keys nest (env.FOO=bar)
  --params-file FILE    params for this run from a JSON object (laid over the job's)
${FOLLOW_HELP}
  -h, --help            show this help

Example:
  jobflow run nightly-backup --param dryRun=true --follow && echo "backup ok"
`,
  async run(ctx, argv) {
    const { values, positionals } = parseCommandArgs(argv, RUN_OPTIONS, { min: 1, max: 1, names: 'the job (id or name)' });
    const assignments = parseAssignments(values.param ?? []);
    const client = await ctx.client();
    const job = await findJob(client, positionals[0]!);
    const override = await overrideParams(ctx, client, job.type, assignments, values['params-file']);
    const run = await startOnce(ctx, values, (idempotencyKey) =>
      client.jobs.run(job.id, override ? { params: mergeParams(job.params, override) } : {}, { idempotencyKey }),
    );
    return reportStarted(ctx, client, run, { isFollow: values.follow === true, isJson: values.json === true, isQuiet: values.quiet === true });
  },
};

export const rerunCommand: Command = {
  name: 'rerun',
  summary: "Start a new run with an earlier run's params",
  options: RUN_OPTIONS,
  usage: `Usage: jobflow rerun <run> [--param KEY=VALUE ...] [--params-file FILE] [--follow] [--idempotency-key KEY]

Starts a new run of the same job with the params of run <run> (an id), and prints
the new run's id; sent again while the server restarts, as "jobflow run" is.

Options:
  -p, --param KEY=VALUE  override one of the old run's params
  --params-file FILE    params from a JSON object, laid over the old run's
${FOLLOW_HELP}
  -h, --help            show this help
`,
  async run(ctx, argv) {
    const { values, positionals } = parseCommandArgs(argv, RUN_OPTIONS, { min: 1, max: 1, names: 'the run id' });
    const assignments = parseAssignments(values.param ?? []);
    const client = await ctx.client();
    let body = {};
    if (assignments.length || values['params-file']) {
      const old = await client.runs.get(positionals[0]!);
      const job = await client.jobs.get(old.jobId);
      const override = await overrideParams(ctx, client, job.type, assignments, values['params-file']);
      if (override) body = { params: mergeParams(old.params, override) };
    }
    const run = await startOnce(ctx, values, (idempotencyKey) => client.runs.rerun(positionals[0]!, body, { idempotencyKey }));
    return reportStarted(ctx, client, run, { isFollow: values.follow === true, isJson: values.json === true, isQuiet: values.quiet === true });
  },
};

/**
 * Starts the run with the given key, or a new one. When the start fails
 * without a clear answer (no connection, a 5xx), the run may have started all
 * the same: the note names the key that gets that run instead of another.
 */
async function startOnce(
  ctx: Context,
  values: { 'idempotency-key'?: string; json?: boolean },
  start: (idempotencyKey: string) => Promise<RunDto>,
): Promise<RunDto> {
  const { isApiClientError, newIdempotencyKey } = await loadClientLibrary();
  const key = values['idempotency-key'] ?? newIdempotencyKey();
  try {
    return await start(key);
  } catch (error) {
    if (isApiClientError(error) && (error.status === 0 || error.status >= 500) && !values.json) {
      note(ctx.o, `the run may have started all the same: add --idempotency-key ${key} to the command to get that run rather than start another`);
    }
    throw error;
  }
}

async function overrideParams(ctx: Context, client: JobflowClient, type: string, assignments: ParamAssignment[], file: string | undefined) {
  if (!assignments.length && !file) return null;
  const base = file ? await readParamsFile(file, ctx.readStdin) : {};
  return applyAssignments(assignments, base, assignments.length ? await textPathsOfType(client, type) : undefined);
}

async function reportStarted(
  ctx: Context,
  client: JobflowClient,
  run: RunDto,
  options: { isFollow: boolean; isJson: boolean; isQuiet: boolean },
): Promise<number> {
  if (!options.isFollow) {
    if (options.isJson) printJson(ctx.o, run);
    else {
      ctx.o.out.write(run.id + '\n');
      if (!options.isQuiet) note(ctx.o, `${describeRun(ctx.o, run)}; follow it with: jobflow logs ${run.id} --follow`);
    }
    return EXIT.ok;
  }
  if (!options.isJson && !options.isQuiet) note(ctx.o, describeRun(ctx.o, run));
  return followToEnd(ctx, client, run.id, { isJson: options.isJson, isQuiet: options.isQuiet, shownStatus: run.status });
}
