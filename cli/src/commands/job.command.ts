import type { JobInput } from '@jobflow/shared/client';
import { UsageError, intOption, parseCommandArgs, pickSubcommand } from '../args';
import type { Command, OptionSpecs, Subcommand } from '../command';
import type { Context } from '../context';
import { EXIT } from '../exit-codes';
import { formatAge, note, paintStatus, printJson, table } from '../output';
import { applyAssignments, parseAssignments, readParamsFile } from '../params';
import { findJob, textPathsOfType } from '../runs';

const usage = `Usage: jobflow job create --type TYPE --name NAME [--param KEY=VALUE ...] [--params-file FILE] [options]
       jobflow job show <job> [--json]

create: defines a job and prints its id.
  --type TYPE              job type (see "jobflow types")
  --name NAME              the job's name
  --param KEY=VALUE        a param; VALUE is read as JSON when it parses (5, true, "5",
                           ["a"]), else as text, and kept as typed where the type wants
                           text; dotted keys nest: env.FOO=bar
  --params-file FILE       params from a JSON object in FILE ("-" for stdin);
                           --param values are laid over it
  --description TEXT       what the job is for
  --timeout SEC            fail a run that takes longer
  --max-attempts N         attempts per run (default 1)
  --cron EXPR              run on this schedule (5 or 6 fields)
  --timezone TZ            time zone of --cron (default UTC)
  --json                   print the created Job as JSON

show: prints a job (by id or exact name) and its params.

Options:
  -h, --help               show this help
`;

const CREATE_OPTIONS = {
  type: { type: 'string', description: 'the job type (see "jobflow types")' },
  name: { type: 'string', description: "the job's name" },
  param: { type: 'string', multiple: true, short: 'p', description: 'a param: KEY=VALUE (JSON when it parses; dotted keys nest)' },
  'params-file': { type: 'string', isFile: true, description: 'params from a JSON object in FILE ("-" for stdin)' },
  description: { type: 'string', description: 'what the job is for' },
  timeout: { type: 'string', description: 'fail a run that takes longer than SEC seconds' },
  'max-attempts': { type: 'string', description: 'attempts per run (default 1)' },
  cron: { type: 'string', description: 'run on this schedule (5 or 6 fields)' },
  timezone: { type: 'string', description: 'time zone of --cron (default UTC)' },
} as const satisfies OptionSpecs;

const SUBCOMMANDS = [
  { name: 'create', summary: 'define a job and print its id', options: CREATE_OPTIONS },
  { name: 'show', summary: 'print a job and its params', options: {} },
] as const satisfies readonly Subcommand[];

export const jobCommand: Command = {
  name: 'job',
  summary: 'Create a job, or show one',
  usage,
  options: {},
  subcommands: SUBCOMMANDS,
  async run(ctx, argv) {
    const [sub, rest] = pickSubcommand(SUBCOMMANDS, argv);
    switch (sub.name) {
      case 'create':
        return create(ctx, rest);
      case 'show':
        return show(ctx, rest);
    }
  },
};

async function create(ctx: Context, argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, CREATE_OPTIONS, { min: 0, max: 0, names: '' });
  if (!values.type) throw new UsageError('Missing --type.');
  if (!values.name) throw new UsageError('Missing --name.');
  if (values.timezone && !values.cron) throw new UsageError('--timezone needs --cron.');
  const assignments = parseAssignments(values.param ?? []);
  const timeoutSec = intOption('timeout', values.timeout, 1);
  const maxAttempts = intOption('max-attempts', values['max-attempts'], 1);
  const base = values['params-file'] ? await readParamsFile(values['params-file'], ctx.readStdin) : {};
  const client = await ctx.client();
  const isText = assignments.length ? await textPathsOfType(client, values.type) : undefined;
  const body: JobInput = {
    name: values.name,
    type: values.type,
    params: applyAssignments(assignments, base, isText),
    ...(values.description !== undefined ? { description: values.description } : {}),
    ...(timeoutSec !== undefined ? { timeoutSec } : {}),
    ...(maxAttempts !== undefined ? { maxAttempts } : {}),
    ...(values.cron ? { schedule: { cron: values.cron, timezone: values.timezone ?? 'UTC' } } : {}),
  };
  const job = await client.jobs.create(body);
  if (values.json) printJson(ctx.o, job);
  else {
    ctx.o.out.write(job.id + '\n');
    note(ctx.o, `created job "${job.name}" (${job.type}); run it with: jobflow run ${job.id} --follow`);
  }
  return EXIT.ok;
}

async function show(ctx: Context, argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {}, { min: 1, max: 1, names: 'the job (id or name)' });
  const client = await ctx.client();
  const job = await findJob(client, positionals[0]!);
  if (values.json) {
    printJson(ctx.o, job);
    return EXIT.ok;
  }
  const { c } = ctx.o;
  const rows = [
    ['id', job.id],
    ['name', c.bold(job.name)],
    ['type', job.type],
    ['description', job.description || '-'],
    ['schedule', job.schedule ? `${job.schedule.cron} (${job.schedule.timezone})` : '-'],
    ['timeout', job.timeoutSec === null ? '-' : `${job.timeoutSec} s`],
    ['attempts', String(job.maxAttempts)],
    ['last run', job.lastRun ? `${job.lastRun.id} ${paintStatus(c, job.lastRun.status)} ${formatAge(job.lastRun.queuedAt)}` : 'never run'],
    ['params', JSON.stringify(job.params, null, 2).replace(/\n/g, '\n  ')],
  ].map(([key, value]) => [c.dim(key!), value!]);
  ctx.o.out.write(table(ctx.o, null, rows));
  return EXIT.ok;
}
