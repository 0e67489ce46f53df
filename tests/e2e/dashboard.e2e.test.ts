import pg from 'pg';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startStack, type Stack } from '../support/stack';
import { axeViolations, launchBrowser, newContext, pageErrors, signIn } from './support/browser';
import { createJob, startRun, waitForRun } from './support/seed';

let stack: Stack;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let recentFailure = '';
let oldFailure = '';
let succeeded = '';
let jobId = '';

/** Records layout shifts (as CLS counts them: not right after input) from the first paint on. */
const recordLayoutShifts = () => {
  const w = window as unknown as { __cls: number };
  w.__cls = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries() as (PerformanceEntry & { value: number; hadRecentInput: boolean })[]) {
      if (!entry.hadRecentInput) w.__cls += entry.value;
    }
  }).observe({ type: 'layout-shift', buffered: true });
};

beforeAll(async () => {
  stack = await startStack();
  browser = await launchBrowser();
  // A team's dashboard: many jobs, a few runs of each kind.
  for (let i = 0; i < 60; i++) await createJob(stack, stack.admin.token, { name: `job-${String(i).padStart(2, '0')}`, type: 'sleep', params: { seconds: 0 } });
  jobId = await createJob(stack, stack.admin.token, { name: 'breaks', type: 'shell', params: { script: 'exit 1' } });
  oldFailure = await startRun(stack, stack.admin.token, jobId);
  await waitForRun(stack, oldFailure, ['failed']);
  const db = new pg.Client({ connectionString: stack.databaseUrl });
  await db.connect();
  await db.query(
    `update runs set queued_at = now() - interval '3 days', started_at = now() - interval '3 days', finished_at = now() - interval '3 days' where id = $1`,
    [oldFailure],
  );
  await db.end();
  recentFailure = await startRun(stack, stack.admin.token, jobId);
  await waitForRun(stack, recentFailure, ['failed']);
  const okJob = await createJob(stack, stack.admin.token, { name: 'works', type: 'sleep', params: { seconds: 0 } });
  succeeded = await startRun(stack, stack.admin.token, okJob);
  await waitForRun(stack, succeeded, ['succeeded']);
  context = await browser.newContext({ baseURL: stack.baseUrl, viewport: { width: 1440, height: 900 }, locale: 'en-US', timezoneId: 'Europe/Berlin' });
  page = await context.newPage();
  await signIn(page, stack.admin.email, stack.admin.password);
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await stack?.stop();
});

describe('the activity comes first', () => {
  test('recent runs are on the first screen, above the jobs, and the page does not shift as it loads', async () => {
    await context.addInitScript(recordLayoutShifts);
    await page.goto('/');
    await page.locator(`tr[data-run-id="${succeeded}"]`).waitFor();
    await page.locator('tr[data-job-id]').first().waitFor();
    const runs = await page.locator('section[aria-labelledby="runs-title"]').boundingBox();
    const jobs = await page.locator('section[aria-labelledby="jobs-title"]').boundingBox();
    expect(runs!.y).toBeLessThan(jobs!.y);
    expect(runs!.y).toBeLessThan(900);
    // Let late work (stats, fonts, the live connection) settle, then read the total.
    await page.waitForTimeout(1000);
    expect(await page.evaluate(() => (window as unknown as { __cls: number }).__cls)).toBeLessThan(0.1);
  });

  test('“failed in the last 24 h” shows the failures of the last 24 hours, right below the card', async () => {
    await page.getByRole('link', { name: /failed in the last 24 h/ }).click();
    const rows = page.locator('section[aria-labelledby="runs-title"] tbody tr');
    await expect.poll(() => rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-run-id')))).toEqual([recentFailure]);
    expect(new URL(page.url()).searchParams.get('status')).toBe('failed');
    const box = await page.locator('section[aria-labelledby="runs-title"]').boundingBox();
    expect(box!.y).toBeGreaterThanOrEqual(0);
    expect(box!.y).toBeLessThan(900);
    await page.getByRole('button', { name: 'Show all runs' }).click();
    await expect.poll(() => rows.count()).toBe(3);
    expect(await axeViolations(page)).toEqual([]);
  });
});

describe('a phone', () => {
  let phone: BrowserContext;
  let p: Page;

  beforeAll(async () => {
    phone = await newContext(browser, stack.baseUrl);
    p = await phone.newPage();
    await p.setViewportSize({ width: 390, height: 844 });
    await signIn(p, stack.admin.email, stack.admin.password);
  });

  afterAll(async () => {
    const errors = pageErrors(phone);
    await phone.close();
    expect(errors).toEqual([]);
  });

  const fitsTheScreen = async () => {
    const header = await p.locator('header.topbar').boundingBox();
    expect(header!.height).toBeLessThanOrEqual(64);
    expect(await p.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    const sideways = await p.locator('.table-wrap').evaluateAll((els) => els.filter((el) => el.scrollWidth > el.clientWidth + 1).length);
    expect(sideways).toBe(0);
  };

  test('the header stays compact and lists read as cards, without sideways scrolling', async () => {
    await p.locator(`tr[data-run-id="${succeeded}"]`).waitFor();
    await fitsTheScreen();
    await p.goto(`/jobs/${jobId}`);
    await p.locator(`tr[data-run-id="${recentFailure}"]`).waitFor();
    await fitsTheScreen();
    await p.goto(`/runs/${recentFailure}`);
    await p.locator('.log-viewport').waitFor();
    await fitsTheScreen();
    expect(await axeViolations(p)).toEqual([]);
  });

  test('the navigation is behind a menu button', async () => {
    const menu = p.getByRole('button', { name: 'Menu' });
    expect(await menu.getAttribute('aria-expanded')).toBe('false');
    await menu.click();
    expect(await axeViolations(p)).toEqual([]);
    await p.getByRole('link', { name: 'API tokens' }).click();
    await p.getByRole('heading', { name: 'API tokens', level: 1 }).waitFor();
    expect(await menu.getAttribute('aria-expanded')).toBe('false');
  });
});
