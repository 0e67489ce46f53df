import type { Topic } from '@jobflow/shared';
import type { WatchEvent } from '@jobflow/shared/client';
import { parseCommandArgs } from '../args';
import type { Command, OptionSpecs } from '../command';
import { EXIT } from '../exit-codes';
import { note, paintStatus, printJson, type Output } from '../output';
import { findJob } from '../runs';

const OPTIONS = {
  job: { type: 'string', description: 'only the events of one job (id or exact name)' },
} as const satisfies OptionSpecs;

export const watchCommand: Command = {
  name: 'watch',
  summary: 'Print every live event as it happens (one JSON object per line with --json)',
  options: OPTIONS,
  usage: `Usage: jobflow watch [--job <job>] [--json]

Prints the dashboard's live events until stopped (Ctrl-C): run:updated, job:updated,
job:deleted, resync (the server may have missed events) and reconnected (the link
came back; events in between may be missing).

Options:
  --job <job>   only the runs and changes of one job (id or exact name)
  --json        one JSON object per line, ready for jq:
                  {"type":"run:updated","run":{...Run}}
                  {"type":"job:updated","job":{...Job}}
                  {"type":"job:deleted","id":"..."}
                  {"type":"resync"}  {"type":"reconnected"}
  -h, --help    show this help

Example:
  jobflow watch --json | jq -c 'select(.type == "run:updated") | {id: .run.id, status: .run.status}'
`,
  async run(ctx, argv) {
    const { values } = parseCommandArgs(argv, OPTIONS, { min: 0, max: 0, names: '' });
    const client = await ctx.client();
    let topic: Topic = { topic: 'dashboard' };
    let what = 'the dashboard';
    if (values.job) {
      const job = await findJob(client, values.job);
      topic = { topic: 'job', jobId: job.id };
      what = `job "${job.name}"`;
    }
    const abort = new AbortController();
    let refused: unknown = null;
    const offInterrupt = ctx.onInterrupt(() => abort.abort());
    const offAuthError = client.onAuthError((error) => {
      refused ??= error;
      abort.abort();
    });
    const events = client.watch({ topic, signal: abort.signal });
    events.ready.then(
      () => note(ctx.o, `watching ${what}; stop with Ctrl-C`),
      () => undefined,
    );
    try {
      for await (const event of events) {
        if (values.json) printJson(ctx.o, event);
        else printEvent(ctx.o, event);
      }
    } finally {
      offInterrupt();
      offAuthError();
    }
    if (refused) throw refused;
    return EXIT.ok;
  },
};

const clock = () => new Date().toTimeString().slice(0, 8);

const STATUS_WIDTH = 9;
const pad = (text: string, visibleWidth: number, width: number) => text + ' '.repeat(Math.max(0, width - visibleWidth));

/** Fixed-width columns first (time, event, status, id), then the job's name and details. */
function printEvent(o: Output, event: WatchEvent): void {
  const { c } = o;
  const line = (name: string, status: string, statusWidth: number, rest: string) =>
    o.out.write(`${c.dim(clock())}  ${name.padEnd(11)}  ${pad(status, statusWidth, STATUS_WIDTH)}  ${rest}\n`);
  switch (event.type) {
    case 'run:updated': {
      const run = event.run;
      const progress = run.status === 'running' && run.progress !== null ? `  ${Math.round(run.progress * 100)}%` : '';
      const error = run.error ? `  ${c.dim(`${run.error.code}: ${run.error.message}`)}` : '';
      line('run:updated', paintStatus(c, run.status), run.status.length, `${run.id}  ${c.bold(run.jobName)}${progress}${error}`);
      return;
    }
    case 'run:log':
      for (const l of event.lines) line('run:log', l.stream, l.stream.length, `${event.runId}  ${l.seq}  ${l.text}`);
      return;
    case 'job:updated':
      line('job:updated', '', 0, `${event.job.id}  ${c.bold(event.job.name)}  ${c.dim(event.job.type)}`);
      return;
    case 'job:deleted':
      line('job:deleted', '', 0, event.id);
      return;
    case 'resync':
      line('resync', '', 0, c.yellow('the server may have missed events; refetch what you keep'));
      return;
    case 'reconnected':
      line('reconnected', '', 0, c.yellow('the connection came back; events in between may be missing'));
      return;
  }
}
