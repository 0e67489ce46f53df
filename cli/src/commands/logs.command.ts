import { intOption, parseCommandArgs } from '../args';
import type { Command, OptionSpecs } from '../command';
import { EXIT } from '../exit-codes';
import { printJson } from '../output';
import { followToEnd, printLogLine } from '../runs';

const PAGE_LINES = 5000;

const OPTIONS = {
  after: { type: 'string', description: 'only lines with seq > N' },
  follow: { type: 'boolean', short: 'f', description: 'keep streaming until the run ends; exit with its outcome' },
  quiet: { type: 'boolean', description: "with --follow, no notes about the run's state" },
} as const satisfies OptionSpecs;

export const logsCommand: Command = {
  name: 'logs',
  summary: "Print a run's log; with --follow, stream it until the run ends",
  options: OPTIONS,
  usage: `Usage: jobflow logs <run> [--after N] [--follow] [--json]

Prints the stored log of run <run>: its stdout lines to stdout, its stderr lines to
stderr, system lines to stderr marked [system].

Options:
  --after N      only lines with seq > N
  -f, --follow   keep streaming until the run ends (every line once, in order, across
                 reconnects); then exit 0 if it succeeded, 1 if it failed, 130 if it
                 was cancelled
  --quiet        with --follow, no notes about the run's state on stderr
  --json         one LogLine per line: {"seq":1,"ts":"...","stream":"stdout","text":"..."}
  -h, --help     show this help
`,
  async run(ctx, argv) {
    const { values, positionals } = parseCommandArgs(argv, OPTIONS, { min: 1, max: 1, names: 'the run id' });
    const runId = positionals[0]!;
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
