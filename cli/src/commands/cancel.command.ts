import { parseCommandArgs } from '../args';
import type { Command } from '../command';
import { EXIT } from '../exit-codes';
import { note, printJson } from '../output';
import { describeRun } from '../runs';

export const cancelCommand: Command = {
  name: 'cancel',
  summary: 'Cancel a queued or running run',
  options: {},
  usage: `Usage: jobflow cancel <run> [--json]

A queued run is cancelled at once; a running one is stopped and becomes cancelled
within seconds. Cancelling a run that already ended fails with "conflict".

Options:
  --json       print the Run as JSON
  -h, --help   show this help
`,
  async run(ctx, argv) {
    const { values, positionals } = parseCommandArgs(argv, cancelCommand.options, { min: 1, max: 1, names: 'the run id' });
    const client = await ctx.client();
    const run = await client.runs.cancel(positionals[0]!);
    if (values.json) printJson(ctx.o, run);
    else note(ctx.o, run.status === 'cancelled' ? describeRun(ctx.o, run) : `${describeRun(ctx.o, run)}: cancelling`);
    return EXIT.ok;
  },
};
