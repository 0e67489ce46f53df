import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startStack, type Stack, type TestUser } from '../support/stack';
import { launchBrowser, newContext, pageErrors, signIn } from './support/browser';
import { createJob, startRun, waitForRun } from './support/seed';

let stack: Stack;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let user: TestUser;
let jobId = '';
let runId = '';

beforeAll(async () => {
  stack = await startStack();
  browser = await launchBrowser();
  context = await newContext(browser, stack.baseUrl);
  page = await context.newPage();
  user = await stack.createUser('user');
  jobId = await createJob(stack, stack.admin.token, { name: 'nightly-report', type: 'shell', params: { script: 'echo report' } });
  runId = await startRun(stack, stack.admin.token, jobId);
  await waitForRun(stack, runId, ['succeeded']);
});

afterAll(async () => {
  const errors = context ? pageErrors(context) : [];
  await context?.close();
  await browser?.close();
  await stack?.stop();
  expect(errors).toEqual([]);
});

describe('a deep link survives signing in', () => {
  test('opening a run signed out asks to sign in, then shows that run', async () => {
    await page.goto(`/runs/${runId}`);
    await expect.poll(() => new URL(page.url()).pathname).toBe('/signin');
    await page.getByLabel('Email').fill(stack.admin.email);
    await page.getByLabel('Password').fill(stack.admin.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: /nightly-report/, level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/runs/${runId}`);
  });
});

describe('the tab title', () => {
  test('names the run, its job and its status', async () => {
    await expect.poll(() => page.title()).toMatch(/Succeeded/);
    const title = await page.title();
    expect(title).toContain('nightly-report');
    expect(title).toContain('Jobflow');
  });

  test('names the job on its page and the screen elsewhere', async () => {
    await page.getByRole('link', { name: 'nightly-report' }).first().click();
    await page.getByRole('heading', { name: 'nightly-report', level: 1 }).waitFor();
    await expect.poll(() => page.title()).toBe('nightly-report · Jobflow');
    await page.getByRole('link', { name: 'API tokens' }).click();
    await expect.poll(() => page.title()).toBe('API tokens · Jobflow');
    await page.getByRole('link', { name: 'Dashboard' }).first().click();
    await expect.poll(() => page.title()).toBe('Dashboard · Jobflow');
  });
});

describe('a user who is not an admin', () => {
  let userContext: BrowserContext;
  let userPage: Page;

  beforeAll(async () => {
    userContext = await newContext(browser, stack.baseUrl);
    userPage = await userContext.newPage();
    await signIn(userPage, user.email, user.password);
  });

  afterAll(async () => {
    const errors = userContext ? pageErrors(userContext) : [];
    await userContext?.close();
    expect(errors).toEqual([]);
  });

  test('opening /users is told the page is for admins, not that it does not exist', async () => {
    await userPage.goto('/users');
    await userPage.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
    expect(await userPage.locator('main').textContent()).toContain('Only admins can manage users');
    expect(await userPage.getByText('Page not found').count()).toBe(0);
  });

  test('a disabled action says why in text on the page, not only in a tooltip', async () => {
    await userPage.goto(`/jobs/${jobId}`);
    const button = userPage.getByRole('button', { name: 'Run with changed parameters' });
    await button.waitFor();
    expect(await button.isDisabled()).toBe(true);
    const describedBy = await button.getAttribute('aria-describedby');
    expect(describedBy).toBeTruthy();
    const reason = userPage.locator(`[id="${describedBy}"]`);
    expect(await reason.isVisible()).toBe(true);
    expect(await reason.textContent()).toContain('Only an admin may change the parameters');
  });
});
