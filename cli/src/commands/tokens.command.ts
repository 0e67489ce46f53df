import type { TokenDto } from '@jobflow/shared';
import { UsageError, intOption, parseCommandArgs, pickSubcommand } from '../args';
import type { Command, OptionSpecs, Subcommand } from '../command';
import type { Context } from '../context';
import { EXIT } from '../exit-codes';
import { formatAge, note, printJson, table } from '../output';

const CREATE_OPTIONS = {
  'expires-in': { type: 'string', description: 'stop working after DAYS days' },
  'expires-at': { type: 'string', description: 'stop working at TIME (ISO-8601)' },
} as const satisfies OptionSpecs;
const LIST_OPTIONS = {
  user: { type: 'string', description: "admins: another user's tokens (an id), or all" },
} as const satisfies OptionSpecs;

const SUBCOMMANDS = [
  { name: 'create', summary: 'create a token and print its secret (shown once)', options: CREATE_OPTIONS },
  { name: 'list', aliases: ['ls'], summary: 'list your tokens, never their secrets', options: LIST_OPTIONS },
  { name: 'revoke', aliases: ['rm'], summary: 'revoke tokens at once, open connections included', options: {} },
] as const satisfies readonly Subcommand[];

export const tokensCommand: Command = {
  name: 'tokens',
  summary: 'Create, list and revoke personal API tokens',
  usage: `Usage: jobflow tokens create <name> [--expires-in DAYS | --expires-at TIME] [--json]
       jobflow tokens list [--user ID|all] [--json]
       jobflow tokens revoke <id> [<id> ...]

create: prints the new token's secret on stdout, the only time it is shown, e.g.
        JOBFLOW_TOKEN=$(jobflow tokens create ci-deploy --expires-in 90)
  --expires-in DAYS   stop working after DAYS days
  --expires-at TIME   stop working at TIME (ISO-8601, e.g. 2027-01-31T00:00:00Z)
  --json              print {id, name, token, createdAt, expiresAt, ...} as JSON

list: your tokens (never their secrets), newest first.
  --user ID|all       admins: another user's tokens, or everyone's
  --json              print a JSON array of tokens

revoke: the tokens stop working at once, open connections included.

Options:
  -h, --help          show this help
`,
  options: {},
  subcommands: SUBCOMMANDS,
  async run(ctx, argv) {
    const [sub, rest] = pickSubcommand(SUBCOMMANDS, argv);
    switch (sub.name) {
      case 'create':
        return create(ctx, rest);
      case 'list':
        return list(ctx, rest);
      case 'revoke':
        return revoke(ctx, rest);
    }
  },
};

async function create(ctx: Context, argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, CREATE_OPTIONS, { min: 1, max: 1, names: 'the token name' });
  if (values['expires-in'] && values['expires-at']) throw new UsageError('Give --expires-in or --expires-at, not both.');
  let expiresAt: string | null = null;
  const days = intOption('expires-in', values['expires-in'], 1);
  if (days !== undefined) expiresAt = new Date(Date.now() + days * 86_400_000).toISOString();
  if (values['expires-at']) {
    const at = Date.parse(values['expires-at']);
    if (Number.isNaN(at)) throw new UsageError(`--expires-at must be an ISO-8601 time, not "${values['expires-at']}".`);
    expiresAt = new Date(at).toISOString();
  }
  const client = await ctx.client();
  const created = await client.tokens.create({ name: positionals[0]!, expiresAt });
  if (values.json) printJson(ctx.o, created);
  else {
    ctx.o.out.write(created.token + '\n');
    note(
      ctx.o,
      `created token "${created.name}" (id ${created.id}${created.expiresAt ? `, expires ${created.expiresAt}` : ''}); copy it now: it is not shown again`,
    );
  }
  return EXIT.ok;
}

async function list(ctx: Context, argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, LIST_OPTIONS, { min: 0, max: 0, names: '' });
  const client = await ctx.client();
  const tokens: TokenDto[] = [];
  let cursor: string | null = null;
  do {
    const page = await client.tokens.list({ userId: values.user, limit: 200, cursor });
    tokens.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  if (values.json) {
    printJson(ctx.o, tokens);
    return EXIT.ok;
  }
  const { c } = ctx.o;
  const now = Date.now();
  const isExpired = (t: TokenDto) => t.expiresAt !== null && Date.parse(t.expiresAt) <= now;
  const rows = tokens.map((t) => [
    c.dim(t.id),
    c.bold(t.name),
    ...(values.user ? [t.userId] : []),
    formatAge(t.createdAt, now),
    t.expiresAt ? (isExpired(t) ? c.red(`expired ${formatAge(t.expiresAt, now)}`) : formatAge(t.expiresAt, now)) : 'never',
    t.lastUsedAt ? formatAge(t.lastUsedAt, now) : c.dim('never'),
  ]);
  ctx.o.out.write(table(ctx.o, ['ID', 'NAME', ...(values.user ? ['USER'] : []), 'CREATED', 'EXPIRES', 'LAST USED'], rows));
  return EXIT.ok;
}

async function revoke(ctx: Context, argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {}, { min: 1, max: Infinity, names: 'the token id' });
  const client = await ctx.client();
  for (const id of positionals) {
    await client.tokens.delete(id);
    if (!values.json) note(ctx.o, `revoked token ${id}`);
  }
  if (values.json) printJson(ctx.o, { revoked: positionals });
  return EXIT.ok;
}
