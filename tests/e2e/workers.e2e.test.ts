import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startStack, type Stack, type TestUser } from '../support/stack';
import { axeViolations, launchBrowser, newContext, pageErrors, screenshot, signIn } from './support/browser';
import { waitFor } from '../support/wait';
import { createJob, startRun, waitForRun } from './support/seed';

let stack: Stack;
let browser: Browser;
let adminContext: BrowserContext;
let watcherContext: BrowserContext;
let japaneseContext: BrowserContext;
let admin: Page;
let watcher: Page;
let japanese: Page;
let watcherUser: TestUser;
let jobId = '';
let nightlyId = '';
const runIds: string[] = [];

beforeAll(async () => {
  stack = await startStack({ worker: { workerName: 'e2e-worker' } });
  browser = await launchBrowser();
  watcherUser = await stack.createUser();
  jobId = await createJob(stack, stack.admin.token, { name: 'waits-in-queue', type: 'sleep', params: { seconds: 0 } });
  nightlyId = await createJob(stack, stack.admin.token, {
    name: 'nightly-report',
    type: 'sleep',
    params: { seconds: 0 },
    schedule: { cron: '0 3 * * *', timezone: 'UTC' },
  });
  adminContext = await newContext(browser, stack.baseUrl);
  watcherContext = await newContext(browser, stack.baseUrl);
  japaneseContext = await newContext(browser, stack.baseUrl, { locale: 'ja-JP', timezoneId: 'Asia/Tokyo' });
  admin = await adminContext.newPage();
  watcher = await watcherContext.newPage();
  japanese = await japaneseContext.newPage();
  await signIn(admin, stack.admin.email, stack.admin.password);
  await signIn(watcher, watcherUser.email, watcherUser.password);
  await japanese.goto('/');
  await japanese.getByLabel('メールアドレス').fill(watcherUser.email);
  await japanese.getByLabel('パスワード').fill(watcherUser.password);
  await japanese.getByRole('button', { name: 'サインイン' }).click();
  await japanese.getByRole('heading', { name: 'ダッシュボード', level: 1 }).waitFor();
});

afterAll(async () => {
  const errors = [adminContext, watcherContext, japaneseContext].flatMap((c) => (c ? pageErrors(c) : []));
  for (const context of [adminContext, watcherContext, japaneseContext]) await context?.close();
  await browser?.close();
  await stack?.stop();
  expect(errors).toEqual([]);
});

const row = (page: Page) => page.locator('tr[data-worker-id]').filter({ hasText: 'e2e-worker' });

describe('the workers view', () => {
  test('an admin drains the worker after confirming; another user sees it drain live and is told why there is no button', async () => {
    await watcher.getByRole('link', { name: 'Workers' }).click();
    await watcher.getByRole('heading', { name: 'Workers', level: 1 }).waitFor();
    await row(watcher).getByText('Active').waitFor();
    expect(await row(watcher).textContent()).toContain('0 of 10');
    expect(await watcher.getByRole('button', { name: /Drain/ }).count()).toBe(0);
    await watcher.getByText('Only admins can drain or resume workers.').waitFor();
    expect(await axeViolations(watcher)).toEqual([]);

    await admin.goto('/workers');
    await row(admin).getByText('Active').waitFor();
    expect(await row(admin).textContent()).toContain(stack.workers[0]!.workerId);
    await row(admin).getByRole('button', { name: /Drain/ }).click();
    const dialog = admin.getByRole('dialog');
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain('Drain worker “e2e-worker”?');
    // The choice that does nothing has the focus: a stray Enter drains nothing.
    expect(await admin.evaluate(() => document.activeElement?.textContent)).toBe('Cancel');
    expect(await axeViolations(admin)).toEqual([]);
    await dialog.getByRole('button', { name: 'Drain' }).click();
    await row(admin).getByText('Draining').waitFor();
    await row(admin)
      .getByRole('button', { name: /Resume/ })
      .waitFor();

    // No reload: the other user's page changed through worker:updated.
    await row(watcher).getByText('Draining').waitFor();
    await waitFor(() => stack.workers[0]!.isDraining, 'the worker to obey the drain');
    await screenshot(admin, 'workers');
  });

  test('the queue panel counts waiting runs live, with the oldest one’s age, and the upcoming panel lists the next due time', async () => {
    await watcher.goto('/');
    const queue = watcher.locator('section.queue-panel');
    await queue.getByText('No run is waiting.').waitFor();
    const upcoming = watcher.locator('section.upcoming-panel');
    // The job's next three due times, soonest first.
    await upcoming.getByRole('link', { name: 'nightly-report' }).first().waitFor();
    const due = await upcoming.locator('time').evaluateAll((times) => times.map((time) => time.getAttribute('datetime') ?? ''));
    expect(due).toHaveLength(3);
    for (const at of due) expect(at).toMatch(/T03:00:00\.000Z$/);
    expect([...due].sort()).toEqual(due);

    // The worker drains: what is started waits.
    runIds.push(await startRun(stack, stack.admin.token, jobId), await startRun(stack, stack.admin.token, jobId));
    await queue.getByText('2 runs waiting').waitFor();
    await queue.getByText(/oldest waiting/).waitFor();
    expect(await queue.locator(`li[data-job-id="${jobId}"]`).textContent()).toContain('waits-in-queue');
    expect(await axeViolations(watcher)).toEqual([]);
    await screenshot(watcher, 'dashboard-queue-upcoming', false);
  });

  test('in Japanese', async () => {
    const queue = japanese.locator('section.queue-panel');
    await japanese.getByRole('heading', { name: 'キュー', level: 2 }).waitFor();
    await queue.getByText('待機中の実行 2 件').waitFor();
    await japanese.getByRole('heading', { name: '今後の予定', level: 2 }).waitFor();
    expect(await axeViolations(japanese)).toEqual([]);

    await japanese.getByRole('link', { name: 'ワーカー' }).click();
    await japanese.getByRole('heading', { name: 'ワーカー', level: 1 }).waitFor();
    await row(japanese).getByText('ドレイン中').waitFor();
    await japanese.getByText('ワーカーのドレインと再開は管理者のみ行えます。').waitFor();
    expect(await row(japanese).textContent()).not.toMatch(/Draining|Active/);
    expect(await axeViolations(japanese)).toEqual([]);
    await japanese.setViewportSize({ width: 390, height: 844 });
    await screenshot(japanese, 'workers-ja-narrow');
    expect(await axeViolations(japanese)).toEqual([]);
    await japanese.setViewportSize({ width: 1360, height: 900 });
  });

  test('resumed, the worker takes the waiting runs and the queue panel empties', async () => {
    await row(admin)
      .getByRole('button', { name: /Resume/ })
      .click();
    await admin.getByRole('dialog').getByRole('button', { name: 'Resume' }).click();
    await row(admin).getByText('Active').waitFor();
    for (const id of runIds) await waitForRun(stack, id, ['succeeded']);
    await japanese.goto('/');
    await japanese.locator('section.queue-panel').getByText('待機中の実行はありません。').waitFor();
  });

  test('a job disabled by someone else leaves the upcoming panel at once, and comes back when enabled', async () => {
    await watcher.goto('/');
    const upcoming = watcher.locator('section.upcoming-panel');
    await upcoming.getByRole('link', { name: 'nightly-report' }).first().waitFor();
    const setEnabled = async (enabled: boolean) =>
      expect((await stack.request('PATCH', `/api/jobs/${nightlyId}`, { token: stack.admin.token, body: { enabled } })).status).toBe(200);

    // No reload: the job's change comes as job:updated and the panel asks again.
    await setEnabled(false);
    await upcoming.getByText('No scheduled job is due.').waitFor();
    expect(await upcoming.getByRole('link', { name: 'nightly-report' }).count()).toBe(0);
    await setEnabled(true);
    await upcoming.getByRole('link', { name: 'nightly-report' }).first().waitFor();
  });
});
