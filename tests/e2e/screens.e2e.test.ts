import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startStack, type Stack } from '../support/stack';
import { launchBrowser, newContext, pageErrors, screenshot, signIn } from './support/browser';

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

describe('users (admin)', () => {
  test('creates a user, changes the role, disables them, and the server agrees', async () => {
    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
    const form = page.locator('form[aria-labelledby="new-user-title"]');
    await form.getByLabel('Email').fill('not-an-email');
    await form.getByLabel('Password').fill('short');
    await form.getByRole('button', { name: 'Add user' }).click();
    expect(await form.locator('#new-user-email-error').textContent()).toContain('valid email');
    expect(await form.locator('#new-user-password-error').textContent()).toContain('at least 8');

    await form.getByLabel('Email').fill('hanako@example.com');
    await form.getByLabel('Name').fill('Hanako Yamada');
    await form.getByLabel('Password').fill('a-good-password');
    await form.getByRole('button', { name: 'Add user' }).click();
    const row = page.locator('tr', { hasText: 'hanako@example.com' });
    await row.waitFor();
    const id = await row.getAttribute('data-user-id');

    await row.getByLabel('Role of hanako@example.com').selectOption('admin');
    await expect.poll(() => page.locator('.notice').textContent()).toContain('Changed the role');
    await row.getByRole('button', { name: 'Disable' }).click();
    await expect.poll(() => row.locator('.tag').last().textContent()).toBe('Disabled');
    const stored = await stack.request('GET', '/api/users?limit=200', { token: stack.admin.token });
    expect(stored.body.items.find((u: { id: string }) => u.id === id)).toMatchObject({ role: 'admin', disabled: true, name: 'Hanako Yamada' });

    // Refused by the server: a duplicate email, shown as an alert.
    await form.getByLabel('Email').fill('hanako@example.com');
    await form.getByLabel('Password').fill('a-good-password');
    await form.getByRole('button', { name: 'Add user' }).click();
    await expect.poll(() => form.getByRole('alert').textContent()).toContain('cannot be done');
    await screenshot(page, '11-users');
  });
});

describe('API tokens', () => {
  test('a token is shown once, works for the API, and stops working when revoked', async () => {
    await page.getByRole('link', { name: 'API tokens' }).click();
    await page.getByRole('heading', { name: 'API tokens', level: 1 }).waitFor();
    await page.getByLabel('Name').fill('deploy pipeline');
    await page.getByRole('button', { name: 'Create token' }).click();
    const secret = await page.getByLabel('The new token').inputValue();
    expect(secret.startsWith('jf_')).toBe(true);
    expect((await stack.request('GET', '/api/auth/me', { token: secret })).status).toBe(200);
    await page.locator('tr', { hasText: 'deploy pipeline' }).waitFor();
    await screenshot(page, '12-tokens');

    await page.getByRole('button', { name: 'Done' }).click();
    expect(await page.getByLabel('The new token').count()).toBe(0);
    await page.getByRole('button', { name: 'Revoke deploy pipeline' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
    await expect.poll(() => page.locator('tr', { hasText: 'deploy pipeline' }).count()).toBe(0);
    expect((await stack.request('GET', '/api/auth/me', { token: secret })).status).toBe(401);
  });
});

describe('schedule validation', () => {
  test('the rules the server applies show next to the fields they name, and nothing is sent', async () => {
    await page.goto('/jobs/new?type=sleep');
    await page.getByLabel('Name', { exact: true }).fill('Noon nap');
    await page.getByLabel('Run on a schedule').check();
    await page.getByLabel('Cron expression').fill('every day');
    await page.getByLabel('Time zone').fill('Mars/Olympus_Mons');
    await page.getByRole('button', { name: 'Create job' }).click();
    const cronError = page.locator('[data-error-path="/schedule/cron"]');
    await cronError.waitFor();
    expect(await cronError.textContent()).toContain('5 fields');
    expect(await page.locator('[data-error-path="/schedule/timezone"]').textContent()).toContain('IANA');
    expect(await page.locator('.field-error').count()).toBe(2);
    expect(await page.getByLabel('Cron expression').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByRole('alert').first().textContent()).toContain('Please correct the marked fields');
    await screenshot(page, '14-server-validation');
    const jobs = await stack.request('GET', '/api/jobs?q=Noon', { token: stack.admin.token });
    expect(jobs.body.items).toHaveLength(0);
  });
});

describe('language and theme', () => {
  test('a Japanese browser gets Japanese, and the switch changes it back', async () => {
    const ja = await newContext(browser, stack.baseUrl, { locale: 'ja-JP', timezoneId: 'Asia/Tokyo', colorScheme: 'dark' });
    const jaPage = await ja.newPage();
    await jaPage.goto('/');
    await jaPage.getByRole('heading', { name: 'Jobflow にサインイン' }).waitFor();
    expect(await jaPage.evaluate(() => document.documentElement.lang)).toBe('ja');
    await jaPage.getByLabel('メールアドレス').fill(stack.admin.email);
    await jaPage.getByLabel('パスワード').fill(stack.admin.password);
    await jaPage.getByRole('button', { name: 'サインイン' }).click();
    await jaPage.getByRole('heading', { name: 'ダッシュボード', level: 1 }).waitFor();
    await expect.poll(() => jaPage.locator('.connection').textContent()).toContain('ライブ');
    await screenshot(jaPage, '13-dashboard-ja-dark');
    await jaPage.getByLabel('言語').selectOption('en');
    await jaPage.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
    await ja.close();
  });

  test('signing out drops the session', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Jobflow' }).waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in to Jobflow' }).waitFor();
    expect(await page.evaluate(() => localStorage.getItem('jobflow.session'))).toBeNull();
  });
});
