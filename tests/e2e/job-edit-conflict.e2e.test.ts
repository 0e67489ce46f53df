import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { JobDto } from '@jobflow/shared';
import { startStack, type Stack, type TestUser } from '../support/stack';
import { axeViolations, launchBrowser, newContext, pageErrors, screenshot, signIn } from './support/browser';
import { createJob } from './support/seed';

let stack: Stack;
let browser: Browser;
let hanako: TestUser;
/** The admin, editing Hanako's job. */
let adminContext: BrowserContext;
/** Hanako, editing her own job at the same time. */
let ownerContext: BrowserContext;
let admin: Page;
let owner: Page;
let jobId = '';

const columns = { age: { type: 'integer', min: 0, max: 120 } };

beforeAll(async () => {
  stack = await startStack({ workers: 0 });
  browser = await launchBrowser();
  hanako = await stack.createUser('user');
  jobId = await createJob(stack, hanako.token, { name: 'Ages', type: 'data-check', params: { content: 'age\n30\n', columns } });
  adminContext = await newContext(browser, stack.baseUrl);
  ownerContext = await newContext(browser, stack.baseUrl);
  admin = await adminContext.newPage();
  owner = await ownerContext.newPage();
  await signIn(admin, stack.admin.email, stack.admin.password);
  await signIn(owner, hanako.email, hanako.password);
});

afterAll(async () => {
  const errors = [adminContext, ownerContext].flatMap((c) => (c ? pageErrors(c) : []));
  for (const context of [adminContext, ownerContext]) await context?.close();
  await browser?.close();
  await stack?.stop();
  expect(errors).toEqual([]);
});

const storedJob = async (): Promise<JobDto> => (await stack.request<JobDto>('GET', `/api/jobs/${jobId}`, { token: stack.admin.token })).body;
const fieldset = (page: Page, legend: string): Locator => page.locator('fieldset', { has: page.locator(':scope > legend', { hasText: legend }) });
const openEdit = async (page: Page) => {
  await page.goto(`/jobs/${jobId}/edit`);
  await fieldset(page, 'Rule for age').waitFor();
};
const conflictRow = (page: Page, field: string) => page.locator(`.conflict-panel tr[data-field="${field}"]`);
const cell = (row: Locator, side: 'before' | 'theirs' | 'mine') => row.locator(`td[data-side="${side}"]`);

describe('two people edit one job', () => {
  test('the later save shows both changes field by field and overwrites nothing', async () => {
    await openEdit(admin);
    await openEdit(owner);

    await admin.getByLabel('Description').fill('checked by ops');
    await fieldset(admin, 'Rule for age').getByLabel('Maximum (inclusive)').fill('150');
    await admin.getByRole('button', { name: 'Save changes' }).click();
    await admin.getByRole('heading', { name: 'Ages', level: 1, exact: true }).waitFor();
    expect((await storedJob()).version).toBe(2);

    // Still editing, Hanako is told at once that a newer version exists.
    await owner.locator('.newer-version').getByText('Someone else saved this job (version 2)').waitFor();

    await owner.getByLabel('Description').fill('ages of members');
    await fieldset(owner, 'Rule for age').getByLabel('Minimum (inclusive)').fill('18');
    await owner.getByLabel('Max attempts').fill('3');
    await owner.getByRole('button', { name: 'Save changes' }).click();

    const panel = owner.locator('.conflict-panel');
    await panel.getByRole('heading', { name: 'Someone else changed this job while you were editing it', level: 2 }).waitFor();
    expect(await panel.textContent()).toContain('you opened version 1, and version 2 has been saved since');
    // The heading has the focus: the form it replaced is gone.
    expect(await owner.evaluate(() => document.activeElement?.id)).toBe('conflict-title');
    expect(await owner.locator('form.job-form').count()).toBe(0);

    const description = conflictRow(owner, 'description');
    expect(await description.locator('th').textContent()).toContain('Both changed');
    expect(await cell(description, 'before').textContent()).toBe('(not set)');
    expect(await cell(description, 'theirs').textContent()).toBe('checked by ops');
    expect(await cell(description, 'mine').textContent()).toBe('ages of members');

    const max = conflictRow(owner, 'params/columns/age/max');
    expect(await max.locator('th').textContent()).toBe('Parameters › Column rules › age › Maximum (inclusive)');
    expect([await cell(max, 'before').textContent(), await cell(max, 'theirs').textContent(), await cell(max, 'mine').textContent()]).toEqual([
      '120',
      '150',
      'unchanged',
    ]);
    const min = conflictRow(owner, 'params/columns/age/min');
    expect([await cell(min, 'theirs').textContent(), await cell(min, 'mine').textContent()]).toEqual(['unchanged', '18']);
    const attempts = conflictRow(owner, 'maxAttempts');
    expect([await cell(attempts, 'theirs').textContent(), await cell(attempts, 'mine').textContent()]).toEqual(['unchanged', '3']);
    expect(await owner.locator('.conflict-panel tbody tr').count()).toBe(4);
    expect(await panel.textContent()).toContain('Fields changed on both sides: 1.');

    // Nothing of Hanako's reached the server; the admin's change stands.
    const unchanged = await storedJob();
    expect(unchanged.version).toBe(2);
    expect(unchanged.description).toBe('checked by ops');
    expect(unchanged.params.columns).toEqual({ age: { type: 'integer', min: 0, max: 150 } });
    expect(unchanged.maxAttempts).toBe(1);

    expect(await axeViolations(owner)).toEqual([]);
    await screenshot(owner, 'job-edit-conflict');
    await owner.setViewportSize({ width: 390, height: 844 });
    expect(await axeViolations(owner)).toEqual([]);
    await screenshot(owner, 'job-edit-conflict-narrow');
    await owner.setViewportSize({ width: 1360, height: 900 });
  });

  test('applying the edit on top of the latest version keeps both, and saves only when asked', async () => {
    await owner.getByRole('button', { name: 'Apply my edits to the latest version' }).click();
    await owner.getByText('Your edits are applied on top of version 2. Check the form, then save.').waitFor();
    expect(await owner.getByLabel('Description').inputValue()).toBe('ages of members');
    const rule = fieldset(owner, 'Rule for age');
    expect(await rule.getByLabel('Minimum (inclusive)').inputValue()).toBe('18');
    expect(await rule.getByLabel('Maximum (inclusive)').inputValue()).toBe('150');
    expect(await owner.getByLabel('Max attempts').inputValue()).toBe('3');
    expect((await storedJob()).version).toBe(2);
    expect(await axeViolations(owner)).toEqual([]);

    await owner.getByRole('button', { name: 'Save changes' }).click();
    await owner.getByRole('heading', { name: 'Ages', level: 1, exact: true }).waitFor();
    const saved = await storedJob();
    expect(saved.version).toBe(3);
    expect(saved.description).toBe('ages of members');
    expect(saved.params.columns).toEqual({ age: { type: 'integer', min: 18, max: 150 } });
    expect(saved.maxAttempts).toBe(3);
  });

  test('in Japanese, loading the latest version drops the edit and saves nothing', async () => {
    const ja = await newContext(browser, stack.baseUrl, { locale: 'ja-JP', timezoneId: 'Asia/Tokyo' });
    try {
      const page = await ja.newPage();
      await page.goto('/');
      await page.getByLabel('メールアドレス').fill(hanako.email);
      await page.getByLabel('パスワード').fill(hanako.password);
      await page.getByRole('button', { name: 'サインイン' }).click();
      await page.getByRole('heading', { name: 'ダッシュボード', level: 1 }).waitFor();
      await page.goto(`/jobs/${jobId}/edit`);
      await page.getByLabel('名前', { exact: true }).waitFor();

      await openEdit(admin);
      await admin.getByLabel('Name', { exact: true }).fill('Member ages');
      await admin.getByRole('button', { name: 'Save changes' }).click();
      await admin.getByRole('heading', { name: 'Member ages', level: 1, exact: true }).waitFor();

      await page.getByLabel('説明').fill('上書きしてはいけない');
      await page.getByRole('button', { name: '変更を保存' }).click();
      const panel = page.locator('.conflict-panel');
      await panel.getByRole('heading', { name: '編集中に他のユーザーがこのジョブを変更しました', level: 2 }).waitFor();
      expect(await conflictRow(page, 'name').locator('th').textContent()).toBe('名前');
      expect(await cell(conflictRow(page, 'name'), 'theirs').textContent()).toBe('Member ages');
      expect(await cell(conflictRow(page, 'description'), 'mine').textContent()).toBe('上書きしてはいけない');
      expect(await cell(conflictRow(page, 'description'), 'theirs').textContent()).toBe('変更なし');
      expect(await panel.textContent()).not.toMatch(/Someone|version|Field|Your edit/);
      expect(await axeViolations(page)).toEqual([]);
      await screenshot(page, 'job-edit-conflict-ja');

      await page.getByRole('button', { name: '最新バージョンを読み込む（編集を破棄）' }).click();
      await page.getByText('フォームはバージョン 4 を表示しています。あなたの編集は破棄されました。').waitFor();
      expect(await page.getByLabel('名前', { exact: true }).inputValue()).toBe('Member ages');
      expect(await page.getByLabel('説明').inputValue()).toBe('ages of members');
      const stored = await storedJob();
      expect(stored.version).toBe(4);
      expect(stored.name).toBe('Member ages');
      expect(stored.description).toBe('ages of members');
      expect(pageErrors(ja)).toEqual([]);
    } finally {
      await ja.close();
    }
  });

  test('a change saved while the editor was offline is reported once the connection is back, and compared on request', async () => {
    await openEdit(owner);
    await expect.poll(() => owner.locator('.connection').textContent()).toContain('Live');
    await ownerContext.setOffline(true);
    stack.app.deps.disconnect({ userId: hanako.id });
    await owner.getByRole('alert').filter({ hasText: 'You are offline' }).waitFor();
    const changed = await stack.request<JobDto>('PATCH', `/api/jobs/${jobId}`, { token: stack.admin.token, body: { timeoutSec: 60 } });
    expect(changed.body.version).toBe(5);
    expect(await owner.locator('.newer-version').count()).toBe(0);

    // No event reached the page while it was offline: the snapshot the resubscription brings tells.
    await ownerContext.setOffline(false);
    const warning = owner.locator('.newer-version');
    await warning.getByText('Someone else saved this job (version 5)').waitFor();
    await warning.getByRole('button', { name: 'Compare now' }).click();
    const timeout = conflictRow(owner, 'timeoutSec');
    await timeout.waitFor();
    expect([await cell(timeout, 'before').textContent(), await cell(timeout, 'theirs').textContent(), await cell(timeout, 'mine').textContent()]).toEqual([
      '(not set)',
      '60',
      'unchanged',
    ]);
    await owner.getByRole('button', { name: 'Load the latest version (drop my edits)' }).click();
    expect(await owner.getByLabel('Timeout').inputValue()).toBe('60');
  });
});

describe('one click on a job that changed meanwhile', () => {
  /** A change the page does not hear of (no event): made straight in the database, as by another server whose event was lost. */
  const changeBehindThePage = (id: string, description: string) =>
    stack.sql('update jobs set description = $2, version = version + 1, updated_at = now() where id = $1', [id, description]);
  const jobById = async (id: string): Promise<JobDto> => (await stack.request<JobDto>('GET', `/api/jobs/${id}`, { token: stack.admin.token })).body;

  test('Disable and Pause change nothing, show the job as stored and say so; the next click goes through', async () => {
    const id = await createJob(stack, hanako.token, {
      name: 'Nightly ages',
      type: 'sleep',
      params: { seconds: 0 },
      schedule: { cron: '0 3 * * *', timezone: 'UTC' },
    });
    await owner.goto(`/jobs/${id}`);
    await owner.getByRole('heading', { name: 'Nightly ages', level: 1, exact: true }).waitFor();
    await expect.poll(() => owner.locator('.connection').textContent()).toContain('Live');

    await changeBehindThePage(id, 'changed behind the page');
    await owner.getByRole('button', { name: 'Disable' }).click();
    await owner.getByRole('dialog').getByRole('button', { name: 'Disable' }).click();
    await owner.getByRole('alert').getByText('Someone else changed this job meanwhile (it is at version 2 now), so nothing was changed.').waitFor();
    await owner.getByText('changed behind the page').waitFor();
    expect(await jobById(id)).toMatchObject({ enabled: true, version: 2 });
    expect(await owner.locator('[data-field="enabled"]').textContent()).toBe('Enabled');

    await changeBehindThePage(id, 'changed again');
    await owner.getByRole('button', { name: 'Pause schedule' }).click();
    await owner.locator('.schedule-panel').getByRole('alert').getByText('(it is at version 3 now)', { exact: false }).waitFor();
    await owner.getByText('changed again').waitFor();
    expect(await jobById(id)).toMatchObject({ schedulePaused: false, version: 3 });
    expect(await axeViolations(owner)).toEqual([]);

    // Based on the version the page shows now, both go through.
    await owner.getByRole('button', { name: 'Pause schedule' }).click();
    await owner.getByRole('button', { name: 'Resume schedule' }).waitFor();
    await owner.getByRole('button', { name: 'Disable' }).click();
    await owner.getByRole('dialog').getByRole('button', { name: 'Disable' }).click();
    await owner.getByText('This job is disabled').waitFor();
    expect(await jobById(id)).toMatchObject({ enabled: false, schedulePaused: true, version: 5 });
    expect(await owner.getByText('Someone else changed this job meanwhile').count()).toBe(0);
  });
});
