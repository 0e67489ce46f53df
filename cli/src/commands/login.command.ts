import { hostname } from 'node:os';
import { parseCommandArgs } from '../args';
import type { Command } from '../command';
import { DEFAULT_URL, writeStoredConfig } from '../config';
import { EXIT } from '../exit-codes';
import { note, printJson } from '../output';

export const loginCommand: Command = {
  name: 'login',
  summary: 'Sign in and store a personal API token for later commands',
  usage: `Usage: jobflow login [--url URL] [--email EMAIL] [--password-stdin] [--token-name NAME]

Signs in with an email and password, creates a personal API token with that
session, and stores {url, token} in $XDG_CONFIG_HOME/jobflow/config.json
(~/.config/jobflow/config.json by default), readable by you only (0600).
Asks for whatever the options leave out. Signing in again replaces (and
revokes) the token stored before.

Options:
  --url URL            the server (default: $JOBFLOW_URL, the stored one, or ${DEFAULT_URL})
  --email EMAIL        who signs in
  --password-stdin     read the password from stdin instead of asking
  --token-name NAME    name of the token (default: "jobflow CLI on <host>")
  --json               print {url, user, tokenId, configFile} as JSON
  -h, --help           show this help
`,
  async run(ctx, argv) {
    const { values } = parseCommandArgs(
      argv,
      { url: { type: 'string' }, email: { type: 'string' }, 'password-stdin': { type: 'boolean' }, 'token-name': { type: 'string' } },
      { min: 0, max: 0, names: '' },
    );
    const stored = await ctx.storedConfig().catch(() => null);
    const defaultUrl = ctx.env.url ?? stored?.url ?? DEFAULT_URL;
    const url = (values.url ?? ((await ctx.prompt(`Server URL [${defaultUrl}]: `)).trim() || defaultUrl)).replace(/\/+$/, '');
    const email = (values.email ?? (await ctx.prompt('Email: '))).trim();
    const password = values['password-stdin'] ? (await ctx.readStdin()).replace(/\r?\n$/, '') : await ctx.prompt('Password: ', { isSecret: true });

    const client = ctx.anonymousClient(url);
    const session = await client.auth.login({ email, password });
    client.setToken(session.token);
    const created = await client.tokens.create({ name: values['token-name'] ?? `jobflow CLI on ${hostname()}`.slice(0, 200) });
    await writeStoredConfig(ctx.env.configFile, { url, token: created.token, tokenId: created.id, email: session.user.email });

    // The token stored before is replaced: revoke it so it does not linger.
    if (stored?.tokenId && stored.url.replace(/\/+$/, '') === url) {
      await client.tokens.delete(stored.tokenId).catch(() => undefined);
    }
    if (values.json) {
      printJson(ctx.o, { url, user: session.user, tokenId: created.id, configFile: ctx.env.configFile });
    } else {
      note(ctx.o, `signed in to ${url} as ${session.user.email} (${session.user.role}); token "${created.name}" stored in ${ctx.env.configFile}`);
    }
    if (ctx.env.token) note(ctx.o, 'JOBFLOW_TOKEN is set and still takes precedence over the stored token.');
    return EXIT.ok;
  },
};
