import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { JobDto } from '@jobflow/shared';
import { startStack, type Stack, type TestUser } from '../support/stack';
import { axeViolations, launchBrowser, newContext, pageErrors, screenshot, signIn } from './support/browser';
import { createJob, startRun, waitForRun } from './support/seed';

let stack: Stack;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let user: TestUser;

beforeAll(async () => {
  stack = await startStack({ worker: { concurrency: 4 } });
  browser = await launchBrowser();
  context = await newContext(browser, stack.baseUrl);
  page = await context.newPage();
  user = await stack.createUser('user');
  await signIn(page, user.email, user.password);
});

afterAll(async () => {
  const errors = context ? pageErrors(context) : [];
  await context?.close();
  await browser?.close();
  await stack?.stop();
  expect(errors).toEqual([]);
});

const query = () => new URL(page.url()).searchParams;

describe('the runs page', () => {
  test('filters live in the URL: set in the page, kept on reload, and a new matching run appears live', async () => {
    const tagged = await createJob(stack, user.token, { name: 'tagged-export', type: 'sleep', params: { seconds: 0 }, tags: ['nightly'] });
    const other = await createJob(stack, user.token, { name: 'other-export', type: 'sleep', params: { seconds: 0 } });
    const first = await startRun(stack, user.token, tagged);
    const unrelated = await startRun(stack, user.token, other);
    await waitForRun(stack, first, ['succeeded']);
    await waitForRun(stack, unrelated, ['succeeded']);

    await page.getByRole('link', { name: 'Runs', exact: true }).click();
    await page.getByRole('heading', { name: 'Runs', level: 1 }).waitFor();
    await page.locator(`tr[data-run-id="${unrelated}"]`).waitFor();
    await page.getByLabel('Tags').fill('nightly');
    await page.getByLabel('Tags').press('Enter');
    await page.getByLabel('Status').selectOption('succeeded');
    await expect.poll(() => query().get('tag')).toBe('nightly');
    expect(query().get('status')).toBe('succeeded');
    await page.locator(`tr[data-run-id="${unrelated}"]`).waitFor({ state: 'detached' });
    await page.locator(`tr[data-run-id="${first}"]`).waitFor();

    await page.reload();
    await page.locator(`tr[data-run-id="${first}"]`).waitFor();
    expect(await page.getByLabel('Status').inputValue()).toBe('succeeded');
    expect(await page.locator('tbody tr').count()).toBe(1);

    // A run of the tagged job arrives live once it succeeds; one of the other job never does.
    const second = await startRun(stack, user.token, tagged);
    const ignored = await startRun(stack, user.token, other);
    await page.locator(`tr[data-run-id="${second}"]`).waitFor();
    await waitForRun(stack, ignored, ['succeeded']);
    expect(await page.locator(`tr[data-run-id="${ignored}"]`).count()).toBe(0);
    expect(await axeViolations(page)).toEqual([]);
  });

  test('bulk cancel asks first, cancels what the user may cancel, and names the run they may not', async () => {
    const mine = await createJob(stack, user.token, { name: 'long-mine', type: 'sleep', params: { seconds: 60 } });
    const theirs = await createJob(stack, stack.admin.token, { name: 'long-theirs', type: 'sleep', params: { seconds: 60 } });
    const a = await startRun(stack, user.token, mine);
    const b = await startRun(stack, user.token, mine);
    const forbidden = await startRun(stack, stack.admin.token, theirs);

    await page.goto('/runs?status=running');
    await waitForRun(stack, forbidden, ['running']);
    for (const id of [a, b, forbidden]) await page.locator(`tr[data-run-id="${id}"]`).waitFor();
    for (const id of [a, b, forbidden]) await page.locator(`tr[data-run-id="${id}"] input[type="checkbox"]`).check();
    await page.getByRole('button', { name: 'Cancel 3 runs' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain('Cancel 3 queued or running runs?');
    // The harmless choice has the focus.
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Keep running');
    expect(await axeViolations(page)).toEqual([]);
    await dialog.getByRole('button', { name: 'Cancel the runs' }).click();

    const outcome = page.locator('.bulk-outcome');
    await outcome.waitFor();
    expect(await outcome.textContent()).toContain('2 runs cancelled.');
    expect(await outcome.textContent()).toContain(`Run ${forbidden.slice(0, 8)} of long-theirs`);
    await waitForRun(stack, a, ['cancelled']);
    await waitForRun(stack, b, ['cancelled']);
    expect((await stack.getRun(forbidden)).status).toBe('running');
    await stack.request('POST', `/api/runs/${forbidden}/cancel`, { token: stack.admin.token });
    await screenshot(page, 'runs-page');
  });

  test('bulk rerun starts one new run per selected run', async () => {
    const job = await createJob(stack, user.token, { name: 'rerun-me', type: 'sleep', params: { seconds: 0 } });
    const done = await startRun(stack, user.token, job);
    await waitForRun(stack, done, ['succeeded']);
    await page.goto(`/runs?jobId=${job}`);
    await page.getByText('Job: rerun-me').waitFor();
    await page.locator(`tr[data-run-id="${done}"] input[type="checkbox"]`).check();
    await page.getByRole('button', { name: 'Rerun 1 runs' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Start the runs' }).click();
    await page.locator('.bulk-outcome').getByText('1 new runs started.').waitFor();
    await expect.poll(async () => page.locator('tbody tr').count()).toBe(2);
  });
});

describe('the job page', () => {
  test('shows success rate and duration percentiles of recent runs as a chart', async () => {
    // Shell jobs are for admins; everyone sees them.
    const job = await createJob(stack, stack.admin.token, { name: 'trend', type: 'shell', params: { script: 'exit 0' } });
    for (const script of ['exit 0', 'exit 0', 'exit 0', 'exit 3']) {
      const run = await startRun(stack, stack.admin.token, job, { params: { script } });
      await waitForRun(stack, run, ['succeeded', 'failed']);
    }
    await page.goto(`/jobs/${job}`);
    await page.getByRole('heading', { name: 'Recent runs', level: 2 }).waitFor();
    await expect.poll(() => page.locator('[data-figure="success-rate"]').textContent()).toBe('75%');
    expect(await page.locator('[data-figure="p50"]').textContent()).toMatch(/\d/);
    expect(await page.locator('.trend-chart rect.bar-succeeded').count()).toBe(3);
    expect(await page.locator('.trend-chart rect.bar-failed').count()).toBe(1);
    expect(await page.locator('.trend-chart desc').textContent()).toContain('Last 4 finished runs: 75% succeeded');
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'job-trend');
  });

  test('a disabled job says so, cannot be run from the page or the API, and runs again once enabled', async () => {
    const job = await createJob(stack, user.token, { name: 'switchable', type: 'sleep', params: { seconds: 0 } });
    await page.goto(`/jobs/${job}`);
    await page.getByRole('button', { name: 'Disable' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Disable' }).click();
    await page.getByText('This job is disabled').waitFor();
    expect(await page.getByRole('button', { name: 'Run now' }).isDisabled()).toBe(true);
    expect((await stack.request<JobDto>('GET', `/api/jobs/${job}`, { token: user.token })).body.enabled).toBe(false);
    const refused = await stack.request('POST', `/api/jobs/${job}/runs`, { token: user.token, body: {} });
    expect(refused.status).toBe(409);
    expect(await axeViolations(page)).toEqual([]);

    await page.getByRole('button', { name: 'Enable' }).click();
    await page.getByText('This job is disabled').waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Run now' }).click();
    await expect.poll(() => new URL(page.url()).pathname).toMatch(/^\/runs\//);
  });

  test('tags are edited in the form, shown on the job and filter the dashboard', async () => {
    const job = await createJob(stack, user.token, { name: 'to-tag', type: 'sleep', params: { seconds: 0 } });
    await createJob(stack, user.token, { name: 'untagged', type: 'sleep', params: { seconds: 0 } });
    await page.goto(`/jobs/${job}/edit`);
    await page.getByLabel('Tags').fill('Billing, team:finance');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('list', { name: 'Tags' }).waitFor();
    expect(await page.getByRole('list', { name: 'Tags' }).textContent()).toBe('billingteam:finance');
    expect((await stack.request<JobDto>('GET', `/api/jobs/${job}`, { token: user.token })).body.tags).toEqual(['billing', 'team:finance']);

    await page.goto('/?tag=billing');
    await page.locator(`tr[data-job-id="${job}"]`).waitFor();
    expect(await page.locator('tr[data-job-id]').count()).toBe(1);
    expect(await page.getByLabel('Tags').inputValue()).toBe('billing');
  });
});

describe('keyboard shortcuts and links to log lines', () => {
  test('/ focuses the search, g r / g d / g w go places, ? lists them', async () => {
    await page.goto('/');
    // The search box is the jobs panel's, which fills in once the jobs have arrived.
    await page.getByRole('searchbox').waitFor();
    await page.keyboard.press('/');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('type'))).toBe('search');
    await page.keyboard.type('x');
    expect(new URL(page.url()).pathname).toBe('/');
    await page.locator('body').click({ position: { x: 5, y: 300 } });
    await page.keyboard.press('g');
    await page.keyboard.press('r');
    await page.getByRole('heading', { name: 'Runs', level: 1 }).waitFor();
    await page.keyboard.press('g');
    await page.keyboard.press('d');
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
    await page.keyboard.press('g');
    await page.keyboard.press('w');
    await expect.poll(() => new URL(page.url()).pathname).toBe('/workers');
    await page.goto('/');
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
    await page.keyboard.press('?');
    const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await help.waitFor();
    expect(await help.textContent()).toContain('Go to runs');
    expect(await axeViolations(page)).toEqual([]);
    await page.keyboard.press('Escape');
    await help.waitFor({ state: 'hidden' });
  });

  test('a link to a log line scrolls to that line and marks it', async () => {
    const job = await createJob(stack, stack.admin.token, {
      name: 'many-lines',
      type: 'shell',
      params: { script: 'for i in $(seq 1 400); do echo "line $i"; done' },
    });
    const run = await startRun(stack, stack.admin.token, job);
    await waitForRun(stack, run, ['succeeded']);
    await page.goto(`/runs/${run}#L250`);
    const row = page.locator('.log-row[data-seq="250"]');
    await row.waitFor();
    await expect.poll(() => row.getAttribute('class')).toContain('log-current');
    expect(await row.isVisible()).toBe(true);
  });
});

describe('in Japanese', () => {
  test('the runs page and the job page read Japanese and pass axe', async () => {
    const ja = await newContext(browser, stack.baseUrl, { locale: 'ja-JP', timezoneId: 'Asia/Tokyo' });
    try {
      const p = await ja.newPage();
      await p.goto('/');
      await p.getByLabel('メールアドレス').fill(user.email);
      await p.getByLabel('パスワード').fill(user.password);
      await p.getByRole('button', { name: 'サインイン' }).click();
      await p.getByRole('heading', { name: 'ダッシュボード', level: 1 }).waitFor();
      const job = await createJob(stack, user.token, { name: 'ja-job', type: 'sleep', params: { seconds: 0 }, tags: ['daily'] });
      const run = await startRun(stack, user.token, job);
      await waitForRun(stack, run, ['succeeded']);

      await p.keyboard.press('g');
      await p.keyboard.press('r');
      await p.getByRole('heading', { name: '実行一覧', level: 1 }).waitFor();
      await p.locator(`tr[data-run-id="${run}"]`).waitFor();
      expect(await p.getByRole('group', { name: '選択した実行' }).textContent()).toContain('件選択中');
      expect(await axeViolations(p)).toEqual([]);

      await p.goto(`/jobs/${job}`);
      await p.getByRole('heading', { name: '最近の実行', level: 2 }).waitFor();
      await expect.poll(() => p.locator('[data-figure="success-rate"]').textContent()).toBe('100%');
      await p.getByRole('button', { name: '無効にする' }).click();
      await p.getByRole('dialog').getByRole('button', { name: '無効にする' }).click();
      await p.getByText('このジョブは無効です').waitFor();
      expect(await axeViolations(p)).toEqual([]);
      await p.keyboard.press('?');
      await p.getByRole('dialog', { name: 'キーボードショートカット' }).waitFor();
    } finally {
      expect(pageErrors(ja)).toEqual([]);
      await ja.close();
    }
  });
});
