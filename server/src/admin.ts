/**
 * Creates an admin, or resets an existing user to an enabled admin with the
 * given password: `make admin EMAIL=a@example.com PASSWORD=...`; prompts for
 * whatever is not given when run in a terminal.
 */
import { createInterface } from 'node:readline/promises';
import { z } from 'zod';
import { createDb, createOrm } from '@jobflow/core/db';
import { BaseEnv, baseConfig, createLogger, parseEnv, preflight } from '@jobflow/core/platform';
import { createAuditLog } from './audit/audit.store';
import { createUsersService } from './users/users.service';

const env = parseEnv(BaseEnv.extend({ EMAIL: z.string().optional(), PASSWORD: z.string().optional(), NAME: z.string().optional() }), process.env);

async function ask(question: string, hidden = false): Promise<string> {
  if (!process.stdin.isTTY) {
    console.error(`Missing ${question.toLowerCase()}: run \`make admin EMAIL=you@example.com PASSWORD='...'\`.`);
    process.exit(2);
  }
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
  if (hidden) {
    const write = (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput.bind(rl);
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => write(s.startsWith(question) ? s : '');
  }
  const answer = await rl.question(`${question}: `);
  rl.close();
  if (hidden) process.stdout.write('\n');
  return answer.trim();
}

const email = env.EMAIL || (await ask('Email'));
const password = env.PASSWORD || (await ask('Password', true));
const checked = z.object({ email: z.email(), password: z.string().min(8) }).safeParse({ email, password });
if (!checked.success) {
  console.error(`Not created: ${checked.error.issues.map((i) => `${String(i.path[0])} ${i.message.toLowerCase()}`).join('; ')}.`);
  process.exit(2);
}
const config = baseConfig(env);
await preflight(config);
const connection = { databaseUrl: config.databaseUrl, ssl: config.dbSsl, poolMax: 1 };
const orm = await createOrm(connection);
const db = createDb({ ...connection, usePreparedStatements: config.dbPreparedStatements });
try {
  const { user, created } = await createUsersService(orm).upsertAdmin(email, password, env.NAME);
  // Done from the machine, not through the API: the audit log says so (no actor, no address).
  await createAuditLog({ db, log: createLogger('admin', 'warn') }).record({
    actor: { userId: null, tokenId: null, email: null },
    action: created ? 'user.created' : 'user.changed',
    target: { type: 'user', id: user.id },
    changes: created
      ? { email: user.email, role: 'admin', via: 'make admin' }
      : { role: 'admin', disabled: false, password: '****', sessionsEnded: true, via: 'make admin' },
    ip: null,
    userAgent: 'make admin',
  });
  console.log(`${created ? 'Created' : 'Reset'} admin ${user.email} (${user.id}).`);
} finally {
  await Promise.all([orm.close(true), db.close()]);
}
