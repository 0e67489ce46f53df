import { hostname } from 'node:os';
import { UsageError, parseCommandArgs } from '../args';
import type { Command, OptionSpecs } from '../command';
import type { Context } from '../context';
import { DEFAULT_URL, writeStoredConfig, type StoredConfig } from '../config';
import { EXIT } from '../exit-codes';
import { note, printJson } from '../output';

const OPTIONS = {
  url: { type: 'string', description: 'the server' },
  email: { type: 'string', description: 'who signs in' },
  'password-stdin': { type: 'boolean', description: 'read the password from stdin instead of asking' },
  'token-stdin': { type: 'boolean', description: 'store an existing API token read from stdin instead of signing in' },
  'token-name': { type: 'string', description: 'name of the token created (default: "jobflow CLI on <host>")' },
} as const satisfies OptionSpecs;

export const loginCommand: Command = {
  name: 'login',
  summary: 'Sign in and store a personal API token for later commands',
  options: OPTIONS,
  usage: `Usage: jobflow login [--url URL] [--email EMAIL] [--password-stdin] [--token-name NAME]
       jobflow login --token-stdin [--url URL]

Signs in with an email and password, creates a personal API token with that
session, and stores {url, token} in $XDG_CONFIG_HOME/jobflow/config.json
(~/.config/jobflow/config.json by default), readable by you only (0600).
Asks for whatever the options leave out. Signing in again replaces (and
revokes) the token stored before.

With --token-stdin it stores an API token you already have (from the UI's API
tokens screen or "jobflow tokens create") after checking it with the server;
"jobflow logout" then forgets it without revoking it.

Options:
  --url URL            the server (default: $JOBFLOW_URL, the stored one, or ${DEFAULT_URL})
  --email EMAIL        who signs in
  --password-stdin     read the password from stdin instead of asking
  --token-stdin        read an API token from stdin and store it instead of signing in
  --token-name NAME    name of the token (default: "jobflow CLI on <host>")
  --json               print {url, user, tokenId, configFile} as JSON
  -h, --help           show this help

Example:
  echo "$JOBFLOW_CI_TOKEN" | jobflow login --url https://jobflow.example.com --token-stdin
`,
  async run(ctx, argv) {
    const { values } = parseCommandArgs(argv, OPTIONS, { min: 0, max: 0, names: '' });
    if (values['token-stdin'] && (values.email !== undefined || values['password-stdin'] || values['token-name'] !== undefined)) {
      throw new UsageError('--token-stdin stores the token given: leave out --email, --password-stdin and --token-name.');
    }
    const stored = await ctx.storedConfig().catch(() => null);
    const defaultUrl = ctx.env.url ?? stored?.url ?? DEFAULT_URL;
    // With --token-stdin, stdin holds the token: nothing is asked.
    const typedUrl = values.url ?? (values['token-stdin'] ? defaultUrl : (await ctx.prompt(`Server URL [${defaultUrl}]: `)).trim() || defaultUrl);
    const url = typedUrl.replace(/\/+$/, '');
    const signedIn = values['token-stdin'] ? await checkToken(ctx, url) : await signIn(ctx, url, values);
    await writeStoredConfig(ctx.env.configFile, signedIn.config);

    // The token stored before is replaced: revoke it so it does not linger (unless it is the one given again).
    if (stored?.tokenId && stored.url.replace(/\/+$/, '') === url && stored.token !== signedIn.config.token) {
      const client = await ctx.clientFor(url, signedIn.config.token);
      await client.tokens.delete(stored.tokenId).catch(() => undefined);
    }
    const { user } = signedIn;
    if (values.json) {
      printJson(ctx.o, { url, user, tokenId: signedIn.config.tokenId ?? null, configFile: ctx.env.configFile });
    } else {
      const what = signedIn.tokenName === null ? 'the token given' : `token "${signedIn.tokenName}"`;
      note(ctx.o, `signed in to ${url} as ${user.email} (${user.role}); ${what} stored in ${ctx.env.configFile}`);
    }
    if (ctx.env.token) note(ctx.o, 'JOBFLOW_TOKEN is set and still takes precedence over the stored token.');
    return EXIT.ok;
  },
};

interface SignedIn {
  config: StoredConfig;
  user: { email: string; role: string };
  /** The name of the token created, or null for a token given. */
  tokenName: string | null;
}

async function signIn(ctx: Context, url: string, values: { email?: string; 'password-stdin'?: boolean; 'token-name'?: string }): Promise<SignedIn> {
  const email = (values.email ?? (await ctx.prompt('Email: '))).trim();
  const password = values['password-stdin'] ? (await ctx.readStdin()).replace(/\r?\n$/, '') : await ctx.prompt('Password: ', { isSecret: true });
  const client = await ctx.clientFor(url, null);
  const session = await client.auth.login({ email, password });
  client.setToken(session.token);
  const created = await client.tokens.create({ name: values['token-name'] ?? `jobflow CLI on ${hostname()}`.slice(0, 200) });
  return { config: { url, token: created.token, tokenId: created.id, email: session.user.email }, user: session.user, tokenName: created.name };
}

async function checkToken(ctx: Context, url: string): Promise<SignedIn> {
  const token = (await ctx.readStdin()).trim();
  if (!token) throw new UsageError('--token-stdin read no token from stdin.');
  if (/\s/.test(token)) throw new UsageError('--token-stdin wants one token on stdin, without spaces.');
  const client = await ctx.clientFor(url, token);
  const user = await client.auth.me();
  return { config: { url, token, email: user.email }, user, tokenName: null };
}
