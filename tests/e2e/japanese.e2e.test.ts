import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startStack, type Stack } from '../support/stack';
import { axeViolations, launchBrowser, newContext, pageErrors } from './support/browser';
import { createJob, startRun, waitForRun } from './support/seed';

let stack: Stack;
let browser: Browser;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  stack = await startStack();
  browser = await launchBrowser();
  context = await newContext(browser, stack.baseUrl, { locale: 'ja-JP', timezoneId: 'Asia/Tokyo' });
  page = await context.newPage();
  await page.goto('/');
  await page.getByLabel('メールアドレス').fill(stack.admin.email);
  await page.getByLabel('パスワード').fill(stack.admin.password);
  await page.getByRole('button', { name: 'サインイン' }).click();
  await page.getByRole('heading', { name: 'ダッシュボード', level: 1 }).waitFor();
});

afterAll(async () => {
  const errors = context ? pageErrors(context) : [];
  await context?.close();
  await browser?.close();
  await stack?.stop();
  expect(errors).toEqual([]);
});

describe('a Japanese user reads Japanese throughout', () => {
  test('job types, their fields and hints', async () => {
    await page.goto('/jobs/new?type=shell');
    await page.getByRole('radio', { name: /シェルスクリプト/ }).waitFor();
    await page.getByLabel('スクリプト', { exact: true }).waitFor();
    expect(await page.locator('form.job-form').textContent()).toContain('`<シェル> -c <スクリプト>` として呼び出すインタープリター。');
    expect(await page.locator('.type-picker').textContent()).not.toContain('Shell script');
  });

  test('the system lines of a run, in its log and timeline', async () => {
    const script = 'if [ "$JOBFLOW_ATTEMPT" -lt 2 ]; then exit 3; fi; echo ok';
    const jobId = await createJob(stack, stack.admin.token, { name: 'retry-ja', type: 'shell', params: { script }, maxAttempts: 2 });
    const runId = await startRun(stack, stack.admin.token, jobId);
    await waitForRun(stack, runId, ['succeeded']);
    await page.goto(`/runs/${runId}`);
    const line = page.locator('.log-row.log-system').first();
    await line.waitFor();
    expect(await line.textContent()).toContain('2 回中 2 回目の試行を開始');
    expect(await line.textContent()).not.toContain('attempt 2 of 2');
    expect(await page.locator('.timeline').textContent()).toContain('2 回中 2 回目の試行を開始');
    expect(await axeViolations(page)).toEqual([]);
  });

  test('a server’s refusal', async () => {
    const jobId = await createJob(stack, stack.admin.token, { name: 'busy-ja', type: 'sleep', params: { seconds: 30 } });
    const runId = await startRun(stack, stack.admin.token, jobId);
    await waitForRun(stack, runId, ['running']);
    await page.goto(`/jobs/${jobId}`);
    await page.getByRole('button', { name: '削除' }).click();
    await page.getByRole('dialog').getByRole('button', { name: '削除' }).click();
    const alert = page.getByRole('alert').filter({ hasText: '待機中または実行中' });
    await alert.waitFor();
    expect(await alert.textContent()).not.toMatch(/[A-Za-z]{4,}/);
    await stack.request('POST', `/api/runs/${runId}/cancel`, { token: stack.admin.token });
  });
});
