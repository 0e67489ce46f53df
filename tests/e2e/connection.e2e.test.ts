import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startStack, type Stack } from '../support/stack';
import { launchBrowser, newContext, pageErrors, signIn } from './support/browser';
import { createJob } from './support/seed';

let stack: Stack;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let jobId = '';

/** Counts WebSockets the page opens, and notes how many there were when `online` fired (before and after the app's handler). */
const countSockets = () => {
  const w = window as unknown as { __ws: number; __wsAtOnline: [number, number][] };
  w.__ws = 0;
  w.__wsAtOnline = [];
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args: ConstructorParameters<typeof WebSocket>) {
      super(...args);
      w.__ws++;
    }
  } as typeof WebSocket;
  let before = 0;
  window.addEventListener('online', () => (before = w.__ws), { capture: true });
  // Registered after the app has set up its own listener (the app opens its socket at sign-in).
  (w as unknown as { __watchOnline: () => void }).__watchOnline = () => window.addEventListener('online', () => w.__wsAtOnline.push([before, w.__ws]));
};

beforeAll(async () => {
  stack = await startStack({ workers: 0 });
  browser = await launchBrowser();
  context = await newContext(browser, stack.baseUrl);
  await context.addInitScript(countSockets);
  page = await context.newPage();
  jobId = await createJob(stack, stack.admin.token, { name: 'report', type: 'sleep', params: { seconds: 1 } });
  await signIn(page, stack.admin.email, stack.admin.password);
  await page.locator('.connection-live').waitFor();
});

afterAll(async () => {
  const errors = context ? pageErrors(context) : [];
  await context?.close();
  await browser?.close();
  await stack?.stop();
  expect(errors).toEqual([]);
});

describe('going offline and back', () => {
  test('offline is said in a banner and what is shown is marked as possibly out of date', async () => {
    await page.goto(`/jobs/${jobId}`);
    await page.getByRole('heading', { name: 'report', level: 1 }).waitFor();
    await expect.poll(() => page.locator('.connection').textContent()).toContain('Live');
    await page.evaluate(() => (window as unknown as { __watchOnline: () => void }).__watchOnline());
    await context.setOffline(true);
    // The server drops the socket meanwhile: the client is now retrying with a growing delay.
    stack.app.deps.disconnect({ userId: stack.admin.id });
    const banner = page.getByRole('alert').filter({ hasText: 'You are offline' });
    await banner.waitFor();
    expect(await banner.textContent()).toMatch(/as of \d/);
    expect(await page.locator('main').getAttribute('class')).toContain('is-stale');
    await page.getByRole('button', { name: 'Run now' }).click();
    await expect.poll(() => page.locator('.error').first().textContent()).toContain('cannot be reached');
  });

  test('coming back online reconnects at once, clears the banner, the mark and the old error', async () => {
    await page.waitForTimeout(3000); // a few failed attempts: the next one is seconds away
    await context.setOffline(false);
    await expect.poll(() => page.evaluate(() => (window as unknown as { __wsAtOnline: [number, number][] }).__wsAtOnline.length)).toBeGreaterThan(0);
    const [before, after] = (await page.evaluate(() => (window as unknown as { __wsAtOnline: [number, number][] }).__wsAtOnline))[0]!;
    expect(after).toBeGreaterThan(before);
    await expect.poll(() => page.locator('.connection').textContent()).toContain('Live');
    await expect.poll(() => page.getByText('You are offline').count()).toBe(0);
    expect(await page.locator('main').getAttribute('class')).not.toContain('is-stale');
    await expect.poll(() => page.locator('.error').count()).toBe(0);
  });
});
