import { parseCommandArgs } from '../args';
import type { Command } from '../command';
import { EXIT } from '../exit-codes';
import { printJson, table } from '../output';

export const whoamiCommand: Command = {
  name: 'whoami',
  summary: 'Show who the token belongs to, and which server it is for',
  options: {},
  usage: `Usage: jobflow whoami [--json]

Options:
  --json       print {url, source, user} as JSON
  -h, --help   show this help
`,
  async run(ctx, argv) {
    const { values } = parseCommandArgs(argv, whoamiCommand.options, { min: 0, max: 0, names: '' });
    const connection = await ctx.connection();
    const client = await ctx.client();
    const user = await client.auth.me();
    const source = connection.source === 'env' ? 'JOBFLOW_TOKEN' : ctx.env.configFile;
    if (values.json) {
      printJson(ctx.o, { url: connection.url, source: connection.source, user });
      return EXIT.ok;
    }
    const { c } = ctx.o;
    const rows = [
      [c.dim('email'), user.email],
      [c.dim('name'), user.name],
      [c.dim('role'), user.role],
      [c.dim('server'), connection.url],
      [c.dim('token'), `from ${source}`],
    ];
    ctx.o.out.write(table(ctx.o, null, rows));
    return EXIT.ok;
  },
};
