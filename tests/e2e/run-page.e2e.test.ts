import { readFileSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startStack, type Stack, type TestUser } from '../support/stack';
import { launchBrowser, newContext, pageErrors, signIn } from './support/browser';
import { createJob, startRun, waitForRun } from './support/seed';

let stack: Stack;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let hanako: TestUser;

beforeAll(async () => {
  // A retry waits 2 s: long enough to be seen on the page.
  stack = await startStack({ worker: { backoff: { baseMs: 2000, capMs: 2000 } } });
  browser = await launchBrowser();
  context = await newContext(browser, stack.baseUrl);
  page = await context.newPage();
  hanako = await stack.createUser('user');
  await signIn(page, stack.admin.email, stack.admin.password);
});

afterAll(async () => {
  const errors = context ? pageErrors(context) : [];
  await context?.close();
  await browser?.close();
  await stack?.stop();
  expect(errors).toEqual([]);
});

const FINAL = ['Succeeded', 'Failed', 'Cancelled'];

describe('retries', () => {
  test('one row per attempt, the wait before the next, and no error box while the run goes on', async () => {
    const script = 'if [ "$JOBFLOW_ATTEMPT" -lt 3 ]; then echo "try $JOBFLOW_ATTEMPT broke" >&2; exit 3; fi; echo fine';
    const jobId = await createJob(stack, stack.admin.token, { name: 'flaky', type: 'shell', params: { script }, maxAttempts: 3 });
    await page.goto(`/jobs/${jobId}`);
    await page.getByRole('heading', { name: 'flaky', level: 1, exact: true }).waitFor();
    await page.evaluate((finals) => {
      const w = window as unknown as { __errorWhileActive: string[] };
      w.__errorWhileActive = [];
      new MutationObserver(() => {
        const status = document.querySelector('.run-title .status')?.textContent ?? '';
        if (document.querySelector('.run-error') && status && !finals.some((f) => status.includes(f))) w.__errorWhileActive.push(status);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    }, FINAL);
    await page.getByRole('button', { name: 'Run now' }).click();
    await page.waitForURL(/\/runs\//);
    await page
      .getByText(/retrying in \d+ s/i)
      .first()
      .waitFor();
    await expect.poll(() => page.locator('.run-title .status').textContent(), { timeout: 30_000 }).toContain('Succeeded');
    const rows = page.locator('table.attempts tbody tr');
    await expect.poll(() => rows.count()).toBe(3);
    const first = (await rows.nth(0).textContent()) ?? '';
    expect(first).toContain('exit');
    expect(await rows.nth(0).locator('time').count()).toBe(2);
    expect(await rows.nth(2).textContent()).toContain('Succeeded');
    expect(await page.locator('.timeline').textContent()).not.toContain('Started attempt 3');
    expect(await page.evaluate(() => (window as unknown as { __errorWhileActive: string[] }).__errorWhileActive)).toEqual([]);
    expect(await page.locator('.run-error').count()).toBe(0);
  });
});

describe('the log', () => {
  let runId = '';

  beforeAll(async () => {
    const long = 'x'.repeat(3000);
    const script = `printf '\\033[31mred text\\033[0m plain\\n'; echo "${long}"; echo "to stderr" >&2; echo last`;
    const jobId = await createJob(stack, stack.admin.token, { name: 'colourful', type: 'shell', params: { script } });
    runId = await startRun(stack, stack.admin.token, jobId);
    await waitForRun(stack, runId, ['succeeded']);
    await page.goto(`/runs/${runId}`);
    await page.locator('.log-row', { hasText: 'last' }).waitFor();
  });

  test('ANSI colours are drawn, not printed', async () => {
    const row = page.locator('.log-row', { hasText: 'red text' });
    expect(await row.textContent()).not.toContain('[31m');
    const colour = await row
      .locator('span', { hasText: 'red text' })
      .last()
      .evaluate((el) => getComputedStyle(el).color);
    expect(colour).not.toBe(
      await row
        .locator('span', { hasText: 'plain' })
        .last()
        .evaluate((el) => getComputedStyle(el).color),
    );
  });

  test('a long line wraps when asked, instead of widening the view', async () => {
    const viewport = page.locator('.log-viewport');
    const wrap = page.getByRole('checkbox', { name: 'Wrap lines' });
    if (await wrap.isChecked()) await wrap.uncheck();
    expect(await viewport.evaluate((el) => el.scrollWidth > el.clientWidth + 1)).toBe(true);
    await wrap.check();
    await expect.poll(() => viewport.evaluate((el) => el.scrollWidth <= el.clientWidth + 1)).toBe(true);
    // The lines after the long one are still all there, below it.
    await page.locator('.log-row', { hasText: 'last' }).waitFor();
  });

  test('each line shows when it was written', async () => {
    const time = page.locator('.log-row', { hasText: 'to stderr' }).locator('.log-ts');
    expect(await time.textContent()).toMatch(/\d{2}:\d{2}:\d{2}\.\d{3}/);
  });

  test('the download carries times and streams', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download' }).click()]);
    const text = readFileSync((await download.path()) as string, 'utf8');
    const line = text.split('\n').find((l) => l.includes('to stderr')) ?? '';
    expect(line).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z stderr +to stderr$/);
  });

  test('a two-line log gets a box its size', async () => {
    const jobId = await createJob(stack, stack.admin.token, { name: 'short', type: 'shell', params: { script: 'echo one; echo two' } });
    const shortRun = await startRun(stack, stack.admin.token, jobId);
    await waitForRun(stack, shortRun, ['succeeded']);
    await page.goto(`/runs/${shortRun}`);
    await page.locator('.log-row', { hasText: 'two' }).waitFor();
    const box = await page.locator('.log-viewport').boundingBox();
    expect(box?.height ?? 0).toBeLessThan(120);
  });
});

describe('cancel, times and durations', () => {
  test('cancel asks first, with the safe choice focused, and a user’s cancel is not shown as an error', async () => {
    const jobId = await createJob(stack, stack.admin.token, { name: 'long nap', type: 'sleep', params: { seconds: 60 } });
    const runId = await startRun(stack, stack.admin.token, jobId);
    await waitForRun(stack, runId, ['running']);
    await page.goto(`/runs/${runId}`);
    await page.getByRole('button', { name: 'Cancel run' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toBe('Keep running');
    await dialog.getByRole('button', { name: 'Keep running' }).click();
    expect((await stack.request('GET', `/api/runs/${runId}`, { token: stack.admin.token })).body.status).toBe('running');
    await page.getByRole('button', { name: 'Cancel run' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel the run' }).click();
    await expect.poll(() => page.locator('.run-title .status').textContent(), { timeout: 15_000 }).toContain('Cancelled');
    expect(await page.locator('.run-error').count()).toBe(0);
    expect(await page.locator('.run-note').textContent()).toContain(`Cancelled by ${stack.admin.email}`);
  });

  test('a short run reads in milliseconds, and times say their zone or how long ago', async () => {
    const jobId = await createJob(stack, stack.admin.token, { name: 'blink', type: 'sleep', params: { seconds: 0 } });
    const runId = await startRun(stack, stack.admin.token, jobId);
    await waitForRun(stack, runId, ['succeeded']);
    await page.goto(`/jobs/${jobId}`);
    const row = page.locator(`tr[data-run-id="${runId}"]`);
    await row.waitFor();
    expect(await row.locator('td.num').textContent()).toMatch(/^\d+ ms$/);
    const queued = row.locator('time').first();
    expect(await queued.textContent()).toMatch(/ago|now/);
    expect(await queued.getAttribute('title')).toMatch(/GMT|CET|UTC/);
  });
});

describe('who started a run', () => {
  test('runs name the person who started them and mark changed parameters', async () => {
    const jobId = await createJob(stack, stack.admin.token, { name: 'naps', type: 'sleep', params: { seconds: 0 } });
    const runId = await startRun(stack, hanako.token, jobId, { params: { seconds: 0.1 } });
    await waitForRun(stack, runId, ['succeeded']);
    const name = (await stack.request('GET', '/api/auth/me', { token: hanako.token })).body.user.name as string;
    await page.goto(`/jobs/${jobId}`);
    const row = page.locator(`tr[data-run-id="${runId}"]`);
    await row.waitFor();
    await expect.poll(() => row.textContent()).toContain(name);
    expect(await row.locator('.tag-changed').textContent()).toContain('Changed parameters');
    await page.goto(`/runs/${runId}`);
    await expect.poll(() => page.locator('.run-details').textContent()).toContain(`Started by${name}`);
    expect(await page.locator('.run-details').textContent()).toContain('Changed parameters');
  });
});
