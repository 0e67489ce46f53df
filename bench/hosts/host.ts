/**
 * Entry of every process the bench starts: `host.ts <role> <json args>`.
 * Runs one role (a Jobflow server or worker, or a raw peer) and answers the
 * driver's commands over IPC, plus the probe commands every process shares.
 */
import { createProbe } from '../lib/probe';
import { diffPgCounts, installPgCounter, readPgCounts } from '../lib/pg-count';
import { createStageRecorder } from '../lib/stage-trace';

installPgCounter();

export interface HostRole {
  /** Sent to the driver once the role is up (a URL, ids...). */
  info: unknown;
  /** Each takes the arguments the driver sends with it (whatever JSON it is). */
  commands: Record<string, (args: never) => unknown>;
  close(): Promise<void>;
}

type Message = { id: number; cmd: string; args?: unknown };

const [roleName, rawArgs] = process.argv.slice(2);
const probe = createProbe();
let pgMark = readPgCounts();
const stages = createStageRecorder();

const send = (m: unknown) => process.send?.(m);

async function main() {
  const mod = (await import(`./${roleName}.host.ts`)) as { start(args: unknown): Promise<HostRole> };
  const role = await mod.start(JSON.parse(rawArgs ?? '{}'));
  const common: Record<string, (args: never) => unknown> = {
    'probe:mark': () => {
      probe.mark();
      pgMark = readPgCounts();
    },
    'probe:read': () => ({ stats: probe.read(), pg: diffPgCounts(pgMark, readPgCounts()) }),
    'pg:total': () => readPgCounts(),
    /** Starts recording when the lines of a run pass each stage of Jobflow's log trace in this process. */
    'trace:start': (a: { runId: string; total: number }) => stages.start(a),
    'trace:take': () => stages.take(),
    gc: () => {
      (globalThis as { gc?: () => void }).gc?.();
      (globalThis as { gc?: () => void }).gc?.();
      return process.memoryUsage.rss();
    },
    close: async () => {
      await role.close();
      probe.stop();
      setTimeout(() => process.exit(0), 50);
    },
  };
  process.on('message', (m: Message) => {
    const fn = common[m.cmd] ?? role.commands[m.cmd];
    if (!fn) return send({ id: m.id, ok: false, error: `unknown command ${m.cmd}` });
    Promise.resolve()
      .then(() => fn(m.args as never))
      .then(
        (value) => send({ id: m.id, ok: true, value }),
        (e: unknown) => send({ id: m.id, ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
      );
  });
  send({ ready: true, info: role.info });
}

process.on('disconnect', () => process.exit(0));
main().catch((e: unknown) => {
  send({ fatal: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  setTimeout(() => process.exit(1), 50);
});
