import type { LogHitDto } from '@jobflow/shared';
import type { JobflowClient } from '@jobflow/shared/client';
import { UsageError, intOption, parseCommandArgs } from '../args';
import type { Command, OptionSpecs } from '../command';
import type { Context } from '../context';
import { EXIT } from '../exit-codes';
import { printJson, type Output } from '../output';
import { findJob, followToEnd, printLogLine } from '../runs';

const PAGE_LINES = 5000;

const OPTIONS = {
  after: { type: 'string', description: 'only lines with seq > N' },
  follow: { type: 'boolean', short: 'f', description: 'keep streaming until the run ends; exit with its outcome' },
  quiet: { type: 'boolean', description: "with --follow, no notes about the run's state" },
  search: { type: 'string', description: 'find lines containing TEXT across runs' },
  job: { type: 'string', description: 'with --search, only runs of this job (name or id)' },
  status: { type: 'string', description: 'with --search, only runs of these statuses (comma-separated)' },
  since: { type: 'string', description: 'with --search, lines written at or after this time' },
  until: { type: 'string', description: 'with --search, lines written before this time' },
  limit: { type: 'string', description: 'with --search, at most N hits (default 50)' },
} as const satisfies OptionSpecs;

export const logsCommand: Command = {
  name: 'logs',
  summary: "Print a run's log; with --follow, stream it until the run ends",
  options: OPTIONS,
  usage: `Usage: jobflow logs <run> [--after N] [--follow] [--json]
       jobflow logs --search TEXT [--job JOB] [--status S] [--since T] [--until T] [--limit N] [--json]

Prints the stored log of run <run>: its stdout lines to stdout, its stderr lines to
stderr, system lines to stderr marked [system].

Options:
  --after N      only lines with seq > N
  -f, --follow   keep streaming until the run ends (every line once, in order, across
                 reconnects); then exit 0 if it succeeded, 1 if it failed, 130 if it
                 was cancelled
  --quiet        with --follow, no notes about the run's state on stderr
  --json         one LogLine per line: {"seq":1,"ts":"...","stream":"stdout","text":"..."}
  --search TEXT  find stored lines containing TEXT (3+ characters, any case) in every
                 run, newest first: "<run> #<seq> <time> <job>: <line>", the match in
                 bold; with --json, one hit per line ({"run":{...},"seq":...,"match":[...]})
  --job JOB      with --search, only runs of this job (its name or id)
  --status S     with --search, only runs in these statuses (e.g. failed,cancelled)
  --since T      with --search, lines written at or after T (2026-11-28 or an ISO time)
  --until T      with --search, lines written before T
  --limit N      with --search, at most N hits (default 50)
  -h, --help     show this help
`,
  async run(ctx, argv) {
    const { values, positionals } = parseCommandArgs(argv, OPTIONS, { min: 0, max: 1, names: 'the run id' });
    if (values.search !== undefined) {
      if (positionals.length) throw new UsageError('Give either a run id or --search, not both.');
      return searchLines(ctx, await ctx.client(), values);
    }
    const runId = positionals[0];
    if (runId === undefined) throw new UsageError('Missing the run id (or --search TEXT).');
    const after = intOption('after', values.after) ?? 0;
    const client = await ctx.client();
    if (values.follow) {
      return followToEnd(ctx, client, runId, { afterSeq: after, isJson: values.json === true, isLogOnly: true, isQuiet: values.quiet === true });
    }
    let seq = after;
    for (;;) {
      const page = await client.runs.logs(runId, { after: seq, limit: PAGE_LINES });
      for (const line of page.items) {
        if (values.json) printJson(ctx.o, line);
        else printLogLine(ctx.o, line);
      }
      if (page.items.length === 0 || page.nextAfter <= seq) break;
      seq = page.nextAfter;
    }
    return EXIT.ok;
  },
};

const SEARCH_PAGE = 200;

/** `jobflow logs --search`: hits across runs, page after page, up to `--limit`. */
async function searchLines(
  ctx: Context,
  client: JobflowClient,
  values: { search?: string; job?: string; status?: string; since?: string; until?: string; limit?: string; json?: boolean },
): Promise<number> {
  const wanted = intOption('limit', values.limit) ?? 50;
  if (wanted < 1) throw new UsageError('--limit must be at least 1.');
  const jobId = values.job === undefined ? undefined : (await findJob(client, values.job)).id;
  let cursor: string | undefined;
  for (let printed = 0; printed < wanted;) {
    const query = { q: values.search!, jobId, status: values.status, since: values.since, until: values.until, cursor };
    const page = await client.logs.search({ ...query, limit: Math.min(SEARCH_PAGE, wanted - printed) });
    for (const hit of page.items) {
      if (values.json) printJson(ctx.o, hit);
      else printHit(ctx.o, hit);
    }
    printed += page.items.length;
    if (!page.nextCursor) break;
    cursor = page.nextCursor;
  }
  return EXIT.ok;
}

function printHit(o: Output, hit: LogHitDto): void {
  let text = '';
  let at = 0;
  for (const [start, end] of hit.match) {
    text += hit.text.slice(at, start) + o.c.bold(hit.text.slice(start, end));
    at = end;
  }
  text += hit.text.slice(at);
  o.out.write(`${o.c.gray(hit.run.id)} #${hit.seq} ${o.c.dim(hit.ts)} ${hit.run.jobName}: ${text}\n`);
}
