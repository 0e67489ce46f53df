import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { JobDto, RunDto } from '@jobflow/shared';
import { startStack, type Stack } from '../support/stack';
import { launchBrowser, newContext, pageErrors, screenshot, signIn } from './support/browser';

const LINES = 100_000;

let stack: Stack;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let runId = '';

beforeAll(async () => {
  stack = await startStack();
  browser = await launchBrowser();
  context = await newContext(browser, stack.baseUrl, { colorScheme: 'dark' });
  page = await context.newPage();
  const job = await stack.request<JobDto>('POST', '/api/jobs', {
    token: stack.admin.token,
    body: { name: 'Hundred thousand lines', type: 'shell', params: { script: `seq -f 'row %.0f' 1 ${LINES}` } },
  });
  expect(job.status).toBe(201);
  const run = await stack.request<RunDto>('POST', `/api/jobs/${job.body.id}/runs`, { token: stack.admin.token, body: {} });
  expect(run.status).toBe(201);
  runId = run.body.id;
});

afterAll(async () => {
  const errors = context ? pageErrors(context) : [];
  await context?.close();
  await browser?.close();
  await stack?.stop();
  expect(errors).toEqual([]);
});

test(`the log viewer stays usable with ${LINES.toLocaleString('en')} lines: find a line, scroll to the end`, async () => {
  await signIn(page, stack.admin.email, stack.admin.password);
  await page.goto(`/runs/${runId}`);
  await expect.poll(() => page.locator('.run-title .status').textContent(), { timeout: 120_000 }).toContain('Succeeded');
  await expect.poll(() => page.locator('#log-title').textContent(), { timeout: 120_000 }).toContain('100,000 lines');

  // Virtualised: only the rows in view (plus a margin) are in the DOM.
  expect(await page.locator('.log-row').count()).toBeLessThan(200);

  await page.getByLabel('Find in log').fill('row 54321');
  await page.getByLabel('Find in log').press('Enter');
  const found = page.locator('.log-row.log-current');
  await found.waitFor();
  expect(await found.getAttribute('data-seq')).toBe('54321');
  expect(await found.textContent()).toContain('row 54321');
  expect(await found.isVisible()).toBe(true);
  expect(await page.locator('.find-status').textContent()).toBe('1 of 1');
  await screenshot(page, '09-log-find', false);

  await page.getByRole('button', { name: 'Go to the end' }).click();
  const last = page.locator(`.log-row[data-seq="${LINES}"]`);
  await last.waitFor();
  expect(await last.isVisible()).toBe(true);
  expect(await last.textContent()).toContain(`row ${LINES}`);
  expect(await page.locator('.log-row').count()).toBeLessThan(200);

  // Home goes back to the first line from the keyboard.
  await page.locator('.log-viewport').focus();
  await page.keyboard.press('Home');
  await page.locator('.log-row[data-seq="1"]').waitFor();
  await screenshot(page, '10-log-viewer-dark', false);
});
