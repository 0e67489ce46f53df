import { parseCommandArgs } from '../args';
import type { Command } from '../command';
import { removeStoredConfig } from '../config';
import { EXIT } from '../exit-codes';
import { note, printJson } from '../output';

export const logoutCommand: Command = {
  name: 'logout',
  summary: 'Revoke the stored token and forget it',
  options: {},
  usage: `Usage: jobflow logout

Revokes the API token that "jobflow login" created and deletes the config file
(a token stored with "jobflow login --token-stdin" is forgotten, not revoked).
JOBFLOW_TOKEN, if set, is not touched.

Options:
  --json       print {revoked, removed} as JSON
  -h, --help   show this help
`,
  async run(ctx, argv) {
    const { values } = parseCommandArgs(argv, logoutCommand.options, { min: 0, max: 0, names: '' });
    const stored = await ctx.storedConfig().catch(() => null);
    let isRevoked = false;
    if (stored?.tokenId) {
      const client = await ctx.clientFor(stored.url, stored.token);
      try {
        await client.tokens.delete(stored.tokenId);
        isRevoked = true;
      } catch (error) {
        // Already revoked (401/404) is fine; anything else leaves a working token behind: say so.
        const status = (error as { status?: number }).status;
        if (status !== 401 && status !== 404)
          note(
            ctx.o,
            `could not revoke the token on ${stored.url} (${(error as Error).message}); revoke it in the UI or with "jobflow tokens revoke ${stored.tokenId}"`,
          );
      }
    }
    const isRemoved = await removeStoredConfig(ctx.env.configFile);
    if (values.json) printJson(ctx.o, { revoked: isRevoked, removed: isRemoved });
    else note(ctx.o, isRemoved ? `signed out${isRevoked ? ' and revoked the token' : ''}; removed ${ctx.env.configFile}` : 'not signed in: nothing to do');
    return EXIT.ok;
  },
};
