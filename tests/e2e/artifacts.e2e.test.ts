import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startStack, type Stack } from '../support/stack';
import { launchBrowser, newContext, pageErrors, signIn } from './support/browser';
import { createJob, startRun, waitForRun } from './support/seed';

let stack: Stack;
let browser: Browser;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  stack = await startStack();
  browser = await launchBrowser();
  context = await newContext(browser, stack.baseUrl);
  page = await context.newPage();
  await signIn(page, stack.admin.email, stack.admin.password);
});

afterAll(async () => {
  const errors = context ? pageErrors(context) : [];
  await context?.close();
  await browser?.close();
  await stack?.stop();
  expect(errors).toEqual([]);
});

describe('artifacts on the run page', () => {
  test('appear while the run goes on, without a reload, and download with their names', async () => {
    // The script writes its files once the page is open: the test says when, with a file of its own.
    const gate = path.join(await mkdtemp(path.join(tmpdir(), 'jobflow-e2e-')), 'go');
    const script = [
      `while [ ! -f '${gate}' ]; do sleep 0.1; done`,
      'printf "region,total\\nnorth,10\\n" > "$JOBFLOW_ARTIFACTS_DIR/sales.csv"',
      'printf "<h1>Sales</h1>" > "$JOBFLOW_ARTIFACTS_DIR/sales.html"',
    ].join('\n');
    const jobId = await createJob(stack, stack.admin.token, { name: 'sales report', type: 'shell', params: { script } });
    const runId = await startRun(stack, stack.admin.token, jobId);
    await page.goto(`/runs/${runId}`);
    await page.getByRole('heading', { name: 'sales report' }).first().waitFor();
    await page.evaluate(() => ((window as unknown as { __notReloaded: boolean }).__notReloaded = true));
    expect(await page.locator('#artifacts-title').count()).toBe(0);
    await writeFile(gate, '');

    const links = page.getByRole('region', { name: 'Artifacts' }).getByRole('link');
    await expect.poll(() => links.allTextContents(), { timeout: 30_000 }).toEqual(['sales.csv', 'sales.html']);
    expect(await page.evaluate(() => (window as unknown as { __notReloaded?: boolean }).__notReloaded)).toBe(true);
    await waitForRun(stack, runId, ['succeeded']);

    const [download] = await Promise.all([page.waitForEvent('download'), links.filter({ hasText: 'sales.csv' }).click()]);
    expect(download.suggestedFilename()).toBe('sales.csv');
    expect(await readFile((await download.path())!, 'utf8')).toBe('region,total\nnorth,10\n');

    // Opened later, the page lists what is stored.
    await page.reload();
    await expect.poll(() => links.allTextContents()).toEqual(['sales.csv', 'sales.html']);
  });
});
