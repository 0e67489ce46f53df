/**
 * Alerts on every failed run: prints one line per failure and, when
 * ALERT_WEBHOOK_URL is set, posts it there as {"text": "..."} (Slack and
 * Mattermost incoming webhooks take that body as is).
 *
 *   JOBFLOW_URL=https://jobflow.example.com JOBFLOW_TOKEN=jf_... npx tsx examples/alert-on-failure.ts
 *
 * Uses the typed client from the shared workspace (outside this repository,
 * `npm install @jobflow/client` and import both from '@jobflow/client'); runs
 * until stopped (Ctrl-C).
 */
import type { RunSummaryDto } from '@jobflow/shared';
import { createClient } from '@jobflow/shared/client';

const url = process.env.JOBFLOW_URL ?? 'http://127.0.0.1:3000';
const token = process.env.JOBFLOW_TOKEN;
const webhookUrl = process.env.ALERT_WEBHOOK_URL;
if (!token) {
  console.error('Set JOBFLOW_TOKEN to an API token (create one with: jobflow tokens create alerts).');
  process.exit(2);
}

const client = createClient({ url, token });
const stop = new AbortController();
process.once('SIGINT', () => stop.abort());
process.once('SIGTERM', () => stop.abort());
// A revoked or expired token would have the socket retry for ever: give up instead.
client.onAuthError((error) => {
  console.error(`The server refused the token: ${error.message}`);
  process.exitCode = 1;
  stop.abort();
});

const startedAt = new Date().toISOString();
const alerted = new Set<string>();

async function alert(run: RunSummaryDto): Promise<void> {
  // A run is alerted once, however often its failed snapshot is seen.
  if (alerted.has(run.id)) return;
  alerted.add(run.id);
  const why = run.error ? `${run.error.code}: ${run.error.message}` : 'no reason given';
  const text = `Jobflow: run of "${run.jobName}" failed (attempt ${run.attempt} of ${run.maxAttempts}): ${why} ${url}/runs/${run.id}`;
  console.log(text);
  if (!webhookUrl) return;
  const response = await fetch(webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text }) }).catch(
    (error: Error) => ({ ok: false, status: error.message }),
  );
  if (!response.ok) console.error(`could not post the alert for run ${run.id}: ${response.status}`);
}

/** After a reconnect or resync, events may have been missed: catch up on failures since we started. */
async function catchUp(): Promise<void> {
  const { items } = await client.runs.list({ status: 'failed', limit: 200 });
  for (const run of items.reverse()) if (run.finishedAt && run.finishedAt >= startedAt) await alert(run);
}

const events = client.watch({ topic: { topic: 'dashboard' }, signal: stop.signal });
events.ready.then(() => console.error(`watching ${url} for failed runs (Ctrl-C to stop)`));
for await (const event of events) {
  if (event.type === 'reconnected' || event.type === 'resync') await catchUp();
  else if (event.type === 'run:updated' && event.run.status === 'failed') await alert(event.run);
}
client.close();
