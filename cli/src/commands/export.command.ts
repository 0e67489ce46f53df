import { parseCommandArgs } from '../args';
import type { Command } from '../command';
import { EXIT } from '../exit-codes';
import { printJson } from '../output';

export const exportCommand: Command = {
  name: 'export',
  summary: 'Print a run as NDJSON: the run, every log line, its artifacts',
  options: {},
  usage: `Usage: jobflow export <run> > run.ndjson

Prints run <run> as NDJSON, streamed as the server sends it: first
{"kind":"run","exportedAt":"...","run":{...}}, then one {"kind":"log","line":{...}}
per log line in seq order, then {"kind":"artifacts","items":[...]} (download them
with "jobflow artifacts <run> --download DIR").

Options:
  -h, --help   show this help
`,
  async run(ctx, argv) {
    const { positionals } = parseCommandArgs(argv, exportCommand.options, { min: 1, max: 1, names: 'the run id' });
    const client = await ctx.client();
    for await (const line of client.runs.export(positionals[0]!)) printJson(ctx.o, line);
    return EXIT.ok;
  },
};
