import { parseCommandArgs } from '../args';
import type { Command } from '../command';
import { EXIT } from '../exit-codes';
import { printJson, table } from '../output';

export const typesCommand: Command = {
  name: 'types',
  summary: 'List the job types and their params',
  options: {},
  usage: `Usage: jobflow types [--json]

Options:
  --json       print a JSON array of JobType objects (with each paramsSchema)
  -h, --help   show this help
`,
  async run(ctx, argv) {
    const { values } = parseCommandArgs(argv, typesCommand.options, { min: 0, max: 0, names: '' });
    const client = await ctx.client();
    const types = await client.jobTypes.list();
    if (values.json) {
      printJson(ctx.o, types);
      return EXIT.ok;
    }
    const { c } = ctx.o;
    const rows = types.map((t) => {
      const properties = Object.keys((t.paramsSchema.properties as Record<string, unknown> | undefined) ?? {});
      const required = new Set((t.paramsSchema.required as string[] | undefined) ?? []);
      return [c.bold(t.type), t.title + (t.adminOnly ? c.yellow(' (admins only)') : ''), properties.map((p) => (required.has(p) ? p : `${p}?`)).join(', ')];
    });
    ctx.o.out.write(table(ctx.o, ['TYPE', 'TITLE', 'PARAMS'], rows));
    return EXIT.ok;
  },
};
