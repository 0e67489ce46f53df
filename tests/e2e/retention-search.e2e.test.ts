import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startStack, type Stack } from '../support/stack';
import { launchBrowser, newContext, pageErrors, screenshot, signIn } from './support/browser';
import { createJob } from './support/seed';

let stack: Stack;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let runId = '';
let jobId = '';

beforeAll(async () => {
  stack = await startStack({ workers: 0 });
  browser = await launchBrowser();
  context = await newContext(browser, stack.baseUrl);
  page = await context.newPage();
  jobId = await createJob(stack, stack.admin.token, { name: 'Nightly export', type: 'sleep', params: { seconds: 1 } });
  const [run] = await stack.sql<{ id: string }>(
    `insert into runs (job_id, status, params, max_attempts, started_at, finished_at, trigger_kind, log_count)
     values ($1, 'failed', '{}', 1, now(), now(), 'manual', 3000) returning id`,
    [jobId],
  );
  runId = run!.id;
  await stack.sql(
    `insert into run_logs (run_id, seq, ts, stream, text)
     select $1, s, now(), 'stdout', case when s = 2345 then 'upload failed: Quota Exceeded for bucket' else 'row ' || s end from generate_series(1, 3000) s`,
    [runId],
  );
});

afterAll(async () => {
  const errors = context ? pageErrors(context) : [];
  await context?.close();
  await browser?.close();
  await stack?.stop();
  expect(errors).toEqual([]);
});

test('the log search lists matching lines with the match marked and opens the run at that line', async () => {
  await signIn(page, stack.admin.email, stack.admin.password);
  await page.getByRole('link', { name: 'Search logs' }).click();
  await page.getByRole('heading', { name: 'Search logs' }).waitFor();

  await page.getByLabel('Text').fill('qu');
  await page.getByRole('button', { name: 'Search' }).click();
  expect(await page.getByRole('alert').textContent()).toContain('at least 3 characters');

  await page.getByLabel('Text').fill('quota exceeded');
  await page.getByLabel('Text').press('Enter');
  const hit = page.locator('.search-hit');
  await hit.first().waitFor();
  expect(await hit.count()).toBe(1);
  expect(await hit.locator('mark').textContent()).toBe('Quota Exceeded');
  expect(await hit.locator('.search-hit-text').textContent()).toBe('upload failed: Quota Exceeded for bucket');
  expect(await hit.getAttribute('data-seq')).toBe('2345');
  expect(new URL(page.url()).searchParams.get('q')).toBe('quota exceeded');
  await screenshot(page, '20-log-search');

  await hit.getByRole('link').click();
  await page.waitForURL(`**/runs/${runId}#L2345`);
  const line = page.locator('.log-row.log-current');
  await line.waitFor();
  expect(await line.getAttribute('data-seq')).toBe('2345');
  expect(await line.isVisible()).toBe(true);
});

test('the job form sets how many runs and days are kept; the job page shows them and what the job stores', async () => {
  await page.goto(`/jobs/${jobId}/edit`);
  await page.getByLabel('Keep runs').fill('10');
  await page.getByLabel('Keep days').fill('0');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.locator('#job-keepDays-error').waitFor();
  await page.getByLabel('Keep days').fill('30');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.waitForURL(`**/jobs/${jobId}`);
  await expect.poll(() => page.locator('[data-field="keepRuns"]').textContent()).toBe('10');
  expect(await page.locator('[data-field="keepDays"]').textContent()).toBe('30');
  await expect.poll(() => page.locator('[data-field="storage"]').textContent()).toMatch(/^Runs: 1 · log lines: 3,000 · [\d.]+ kB$/);
  const stored = await stack.request<{ keepRuns: number; keepDays: number }>('GET', `/api/jobs/${jobId}`, { token: stack.admin.token });
  expect(stored.body).toMatchObject({ keepRuns: 10, keepDays: 30 });
});

test('in Japanese, the search screen speaks Japanese and says when nothing matches', async () => {
  const ja = await newContext(browser, stack.baseUrl, { locale: 'ja-JP', timezoneId: 'Asia/Tokyo' });
  try {
    const jaPage = await ja.newPage();
    await jaPage.goto('/');
    await jaPage.getByLabel('メールアドレス').fill(stack.admin.email);
    await jaPage.getByLabel('パスワード').fill(stack.admin.password);
    await jaPage.getByRole('button', { name: 'サインイン' }).click();
    await jaPage.getByRole('heading', { name: 'ダッシュボード', level: 1 }).waitFor();
    await jaPage.goto('/search?q=nowhere-to-be-found');
    await jaPage.getByRole('heading', { name: 'ログ検索' }).waitFor();
    await jaPage.getByText('一致する行はありません。').waitFor();
    expect(await jaPage.getByRole('link', { name: 'ログ検索' }).count()).toBe(1);
    expect(pageErrors(ja)).toEqual([]);
  } finally {
    await ja.close();
  }
});
