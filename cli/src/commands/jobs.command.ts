import type { JobSummaryDto } from '@jobflow/shared';
import { intOption, parseCommandArgs } from '../args';
import type { Command, OptionSpecs } from '../command';
import { EXIT } from '../exit-codes';
import { formatAge, paintStatus, printJson, table } from '../output';

const OPTIONS = {
  query: { type: 'string', short: 'q', description: 'only jobs whose name contains TEXT' },
  type: { type: 'string', description: 'only jobs of this type' },
  limit: { type: 'string', description: 'at most N jobs (default 50)' },
  all: { type: 'boolean', description: 'every job' },
} as const satisfies OptionSpecs;

export const jobsCommand: Command = {
  name: 'jobs',
  summary: 'List jobs, newest first',
  options: OPTIONS,
  usage: `Usage: jobflow jobs [--query TEXT] [--type TYPE] [--limit N | --all] [--json]

Options:
  -q, --query TEXT   only jobs whose name contains TEXT
  --type TYPE        only jobs of this type
  --limit N          at most N jobs (default 50)
  --all              every job
  --json             print a JSON array of Job objects
  -h, --help         show this help
`,
  async run(ctx, argv) {
    const { values } = parseCommandArgs(argv, OPTIONS, { min: 0, max: 0, names: '' });
    const limit = values.all ? Infinity : (intOption('limit', values.limit, 1) ?? 50);
    const client = await ctx.client();
    const jobs: JobSummaryDto[] = [];
    let cursor: string | null = null;
    do {
      const page = await client.jobs.list({ q: values.query, type: values.type, limit: Math.min(200, limit - jobs.length), cursor });
      jobs.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor && jobs.length < limit);

    if (values.json) {
      printJson(ctx.o, jobs);
      return EXIT.ok;
    }
    const { c } = ctx.o;
    const rows = jobs.map((job) => [
      c.dim(job.id),
      c.bold(job.name),
      job.type,
      job.schedule ? job.schedule.cron : '-',
      job.lastRun ? paintStatus(c, job.lastRun.status) : c.dim('never run'),
      job.lastRun ? formatAge(job.lastRun.finishedAt ?? job.lastRun.startedAt ?? job.lastRun.queuedAt) : '',
    ]);
    ctx.o.out.write(table(ctx.o, ['ID', 'NAME', 'TYPE', 'SCHEDULE', 'LAST RUN', ''], rows));
    return EXIT.ok;
  },
};
