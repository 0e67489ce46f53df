import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createClient, type JobDto, type JobflowClient } from '@jobflow/shared/client';
import { LOOPBACK_OPEN, startStack, type Stack } from '../support/stack';
import { ensureSignedIn, expectNotReloaded, launchBrowser, markPage, newContext, pageErrors, screenshot, signIn } from './support/browser';

const SECRET = 'e2e-webhook-secret-0001';

interface Delivery {
  event: string;
  signature: string;
  body: string;
}

let stack: Stack;
let api: JobflowClient;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let receiver: Server;
let receiverUrl = '';
const deliveries: Delivery[] = [];

beforeAll(async () => {
  stack = await startStack({ worker: LOOPBACK_OPEN });
  api = createClient({ url: stack.baseUrl, token: stack.admin.token });
  receiver = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      deliveries.push({ event: String(req.headers['x-jobflow-event'] ?? ''), signature: String(req.headers['x-jobflow-signature'] ?? ''), body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/jobflow`;
  browser = await launchBrowser();
  context = await newContext(browser, stack.baseUrl);
  page = await context.newPage();
  await signIn(page, stack.admin.email, stack.admin.password);
});

afterAll(async () => {
  const errors = context ? pageErrors(context) : [];
  api?.close();
  await context?.close();
  await browser?.close();
  await stack?.stop();
  await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
  expect(errors).toEqual([]);
});

/** The id in the current /jobs/:id or /runs/:id URL. */
const idInUrl = (p: Page) => decodeURIComponent(new URL(p.url()).pathname.split('/')[2] ?? '');

describe('a job with a schedule and a webhook, through the form', () => {
  let jobId = '';

  test('the form takes a cron, a zone from the searchable list, policies and a webhook; a short secret is refused at its field', async () => {
    await ensureSignedIn(page, stack.admin.email, stack.admin.password);
    await page.goto('/jobs/new?type=sleep');
    await page.getByLabel('Name', { exact: true }).fill('Morning report');
    await page.getByRole('spinbutton', { name: 'Seconds' }).fill('0');
    await page.getByLabel('Run on a schedule').check();
    await page.getByLabel('Cron expression').fill('0 9 * * 1-5');
    const zone = page.getByLabel('Time zone', { exact: true });
    expect(await zone.getAttribute('list')).toBe('job-timezone-list');
    expect(await page.locator('#job-timezone-list option[value="Asia/Tokyo"]').count()).toBe(1);
    expect(await page.locator('#job-timezone-list option').count()).toBeGreaterThan(300);
    await zone.fill('Asia/Tokyo');
    await page.getByLabel('Skip it (recorded as skipped)').check();
    await page.getByLabel('Run once to catch up').check();

    await page.getByRole('button', { name: 'Add webhook' }).click();
    const target = page.locator('fieldset[data-target-kind="webhook"]');
    await target.getByLabel('URL').fill(receiverUrl);
    await target.getByLabel('Signing secret').fill('too-short');
    await target.getByLabel('succeeds').check();
    await page.getByRole('button', { name: 'Create job' }).click();
    const secretError = page.locator('[data-error-path="/notifications/0/secret"]');
    await expect.poll(() => secretError.textContent()).toContain('at least 16 characters');
    expect(await target.getByLabel('Signing secret').getAttribute('aria-invalid')).toBe('true');
    expect(await stack.request('GET', '/api/jobs?q=Morning', { token: stack.admin.token }).then((r) => r.body.items.length)).toBe(0);

    await target.getByLabel('Signing secret').fill(SECRET);
    await expect.poll(() => secretError.count()).toBe(0);
    await screenshot(page, '15-new-job-schedule-webhook');
  });

  test('creating it stores the schedule, the policies and the webhook with its secret masked', async () => {
    await page.getByRole('button', { name: 'Create job' }).click();
    await page.getByRole('heading', { name: 'Morning report', level: 1 }).waitFor();
    jobId = idInUrl(page);
    const job = await api.jobs.get(jobId);
    expect(job.schedule).toEqual({ cron: '0 9 * * 1-5', timezone: 'Asia/Tokyo' });
    expect(job.schedulePolicy).toEqual({ overlap: 'skip', missed: 'run-once' });
    expect(job.schedulePaused).toBe(false);
    expect(job.notifications).toEqual([{ id: expect.any(String), kind: 'webhook', on: ['succeeded', 'failed'], url: receiverUrl, secret: '****0001' }]);
    expect(job.ownerName).toBe('Admin');
  });

  test('the job page shows the next five due times in the job’s zone and the user’s', async () => {
    const next = await api.jobs.schedule.next(jobId, { count: 5 });
    expect(next.items).toHaveLength(5);
    const rows = page.locator('.next-table tbody tr');
    await expect.poll(() => rows.count()).toBe(5);
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-due-at')))).toEqual(next.items.map((item) => item.at));
    const head = await page.locator('.next-table thead').textContent();
    expect(head).toContain('Asia/Tokyo');
    expect(head).toContain('Europe/Berlin');
    // 09:00 in Tokyo is 01:00 (or 00:00 in summer) in Berlin.
    const first = rows.first();
    expect(await first.locator('td').nth(0).textContent()).toMatch(/9:00:00 AM GMT\+9/);
    expect(await first.locator('td').nth(1).textContent()).toMatch(/(12|1):00:00 AM/);
    expect(await page.locator('.schedule-panel').textContent()).toContain('Skip it (recorded as skipped)');
    expect(await page.locator('section[aria-labelledby="fires-title"]').textContent()).toContain('No due time has come yet.');
    expect(await page.locator('.props').first().textContent()).toContain('****0001');
    await screenshot(page, '16-job-schedule');
  });

  test('editing keeps the stored secret unless replaced, and deliveries are signed with it', async () => {
    await page.getByRole('link', { name: 'Edit' }).click();
    const target = page.locator('fieldset[data-target-kind="webhook"]');
    await target.waitFor();
    expect(await target.locator('.masked').textContent()).toBe('****0001');
    expect(await target.getByRole('textbox', { name: 'Signing secret' }).count()).toBe(0);
    await target.getByLabel('starts').check();
    await page.getByRole('button', { name: 'Save changes' }).click();
    // The edit screen has the same heading: wait for the job page itself.
    await page.waitForURL((url) => url.pathname === `/jobs/${jobId}`);
    await page.getByRole('heading', { name: 'Morning report', level: 1 }).waitFor();
    const job = await api.jobs.get(jobId);
    expect(job.notifications[0]).toMatchObject({ on: ['started', 'succeeded', 'failed'], secret: '****0001' });

    const run = await api.jobs.run(jobId);
    await expect
      .poll(
        () =>
          deliveries
            .filter((d) => d.body.includes(run.id))
            .map((d) => d.event)
            .sort(),
        { timeout: 30_000 },
      )
      .toEqual(['run.started', 'run.succeeded']);
    for (const d of deliveries) expect(d.signature).toBe(`sha256=${createHmac('sha256', SECRET).update(d.body).digest('hex')}`);
  });
});

describe('an every-second schedule on the job page', () => {
  let job: JobDto;

  beforeAll(async () => {
    job = await api.jobs.create({
      name: 'Heartbeat',
      type: 'sleep',
      params: { seconds: 0 },
      schedule: { cron: '* * * * * *', timezone: 'UTC' },
      schedulePaused: true,
    });
  });

  test('resume: due times come; the first one appears in the history, live, with its run; pause stops them', async () => {
    await ensureSignedIn(page, stack.admin.email, stack.admin.password);
    await page.goto(`/jobs/${job.id}`);
    await page.getByRole('heading', { name: 'Heartbeat', level: 1 }).waitFor();
    await expect.poll(() => page.locator('.connection').textContent()).toContain('Live');
    const panel = page.locator('.schedule-panel');
    await expect.poll(() => panel.locator('.schedule-state').textContent()).toContain('Paused');
    expect(await panel.locator('.paused-notice').count()).toBe(1);
    expect(await page.locator('.fires-table tbody tr').count()).toBe(0);
    await markPage(page);

    await page.getByRole('button', { name: 'Resume schedule' }).click();
    await expect.poll(() => panel.locator('.schedule-state').textContent()).toContain('Active');
    await expect.poll(() => page.locator('.next-table tbody tr').count()).toBe(5);
    const dueTimes = await page.locator('.next-table tbody tr').evaluateAll((trs) => trs.map((tr) => Date.parse(tr.getAttribute('data-due-at') ?? '')));
    expect(dueTimes.slice(1).map((t, i) => t - (dueTimes[i] ?? 0))).toEqual([1000, 1000, 1000, 1000]);

    const started = page.locator('.fires-table tbody tr[data-outcome="started"]').last();
    await started.waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Pause schedule' }).click();
    await expect.poll(() => panel.locator('.schedule-state').textContent()).toContain('Paused');
    expect((await api.jobs.get(job.id)).schedulePaused).toBe(true);
    expect(await started.locator('.outcome').textContent()).toContain('Started');
    const runLink = started.locator('a[href^="/runs/"]');
    await expect.poll(() => started.locator('.status').textContent(), { timeout: 30_000 }).toContain('Succeeded');
    await expectNotReloaded(page);

    // What the page shows is what the server recorded: every due time since resuming, each with its run.
    const fires = await api.jobs.schedule.fires(job.id, { limit: 200 });
    expect(fires.items.length).toBeGreaterThan(0);
    expect(fires.items.every((f) => f.outcome === 'started' && f.runId !== null)).toBe(true);
    await expect.poll(() => page.locator('.fires-table tbody tr').count()).toBe(fires.items.length);
    const firstRunId = fires.items[fires.items.length - 1]?.runId ?? '';
    expect(await runLink.getAttribute('href')).toBe(`/runs/${firstRunId}`);
    expect((await api.jobs.schedule.next(job.id)).items).toEqual([]);
    await screenshot(page, '17-job-every-second-paused');

    await runLink.click();
    await page.waitForURL(/\/runs\//);
    expect(idInUrl(page)).toBe(firstRunId);
    await expect.poll(() => page.locator('.props').first().textContent()).toContain('Schedule');
  });

  test('a due time skipped because a run was still going shows in the history without a reload', async () => {
    const slow = await api.jobs.create({
      name: 'Slow tick',
      type: 'sleep',
      params: { seconds: 3 },
      schedule: { cron: '* * * * * *', timezone: 'UTC' },
      schedulePolicy: { overlap: 'skip' },
      schedulePaused: true,
    });
    await page.goto(`/jobs/${slow.id}`);
    await page.getByRole('heading', { name: 'Slow tick', level: 1 }).waitFor();
    await expect.poll(() => page.locator('.connection').textContent()).toContain('Live');
    await markPage(page);
    await page.getByRole('button', { name: 'Resume schedule' }).click();
    const skipped = page.locator('.fires-table tbody tr[data-outcome="skipped-overlap"]').first();
    await skipped.waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Pause schedule' }).click();
    await expect.poll(() => page.locator('.schedule-panel .schedule-state').textContent()).toContain('Paused');
    expect(await skipped.locator('.outcome').textContent()).toContain('Skipped: still running');
    expect(await skipped.textContent()).toContain('No run');
    expect(await page.locator('.fires-table tbody tr[data-outcome="started"]').count()).toBeGreaterThan(0);
    await expectNotReloaded(page);
    await screenshot(page, '18-job-skipped-overlap');
  });
});

describe('dark theme and Japanese', () => {
  test('the schedule screens read well in the dark theme and in Japanese', async () => {
    const dark = await newContext(browser, stack.baseUrl, { colorScheme: 'dark' });
    const darkPage = await dark.newPage();
    await signIn(darkPage, stack.admin.email, stack.admin.password);
    const jobs = await api.jobs.list({ q: 'Slow tick' });
    await darkPage.goto(`/jobs/${jobs.items[0]?.id}`);
    await darkPage.locator('.fires-table tbody tr').first().waitFor();
    await screenshot(darkPage, '19-job-schedule-dark');
    await darkPage.goto('/jobs/new?type=sleep');
    await darkPage.getByLabel('Run on a schedule').check();
    await darkPage.getByRole('button', { name: 'Add webhook' }).click();
    await darkPage.getByRole('button', { name: 'Add Slack' }).click();
    await darkPage.getByRole('button', { name: 'Add email' }).click();
    await screenshot(darkPage, '20-new-job-schedule-dark');
    const morning = await api.jobs.list({ q: 'Morning report' });
    await darkPage.goto(`/jobs/${morning.items[0]?.id}/edit`);
    await darkPage.locator('.masked').waitFor();
    await darkPage.getByLabel('Language').selectOption('ja');
    await darkPage.getByRole('heading', { name: '「Morning report」を編集' }).waitFor();
    await screenshot(darkPage, '21-edit-job-ja-dark');
    await darkPage.getByLabel('言語').selectOption('en');
    const errors = pageErrors(dark);
    await dark.close();
    expect(errors).toEqual([]);
  });

  test('the dashboard counts and chart come from the run stats', async () => {
    // Every run of the schedules above has ended.
    await expect.poll(async () => (await api.runs.stats()).active, { timeout: 30_000 }).toEqual({ queued: 0, running: 0 });
    await page.goto('/');
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
    const stats = await api.runs.stats({ hours: 24 });
    const finished = stats.finished.succeeded + stats.finished.failed + stats.finished.cancelled;
    expect(finished).toBeGreaterThan(0);
    await expect.poll(() => page.locator('#chart-desc').textContent()).toContain(`${finished} runs finished`);
    expect(await page.locator('.count-running .count-value').textContent()).toBe('0');
    expect(await page.locator('.count-failed .count-value').textContent()).toBe(String(stats.finished.failed));
    expect(await page.locator('.chart .bar-succeeded').count()).toBeGreaterThan(0);

    // A run started now moves the counts live: running, then the hour's succeeded bar.
    const job = await api.jobs.create({ name: 'Counted nap', type: 'sleep', params: { seconds: 2 } });
    await api.jobs.run(job.id);
    await expect.poll(() => page.locator('.count-running .count-value').textContent(), { timeout: 30_000 }).toBe('1');
    await expect.poll(() => page.locator('#chart-desc').textContent(), { timeout: 30_000 }).toContain(`${finished + 1} runs finished`);
    expect(await page.locator('.count-running .count-value').textContent()).toBe('0');
    expect(await page.locator('tr', { hasText: 'Heartbeat' }).locator('.tag').textContent()).toContain('Schedule paused');
    await screenshot(page, '22-dashboard-stats');
  });
});
