import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { JobDto } from '@jobflow/shared';
import { errorOf, LOOPBACK_OPEN, startStack, type Stack } from '../support/stack';
import { launchBrowser, newContext, pageErrors, signIn } from './support/browser';
import { createJob, startRun, waitForRun } from './support/seed';

let stack: Stack;
let browser: Browser;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  stack = await startStack({ workers: 0 });
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

const fieldset = (legend: string | RegExp): Locator => page.locator('fieldset', { has: page.locator(':scope > legend', { hasText: legend }) });
const shownOption = (select: Locator) => select.evaluate((s: HTMLSelectElement) => s.selectedOptions[0]?.textContent?.trim() ?? '');
const jobIdFromUrl = () => decodeURIComponent(new URL(page.url()).pathname.split('/')[2] ?? '');

describe('data-check column rules', () => {
  test('a rule is entered in its own fields and stored as an object', async () => {
    await page.goto('/jobs/new?type=data-check');
    await page.getByLabel('Name', { exact: true }).fill('Ages');
    await page.getByLabel('Inline document').fill('age\n30\n');
    const rules = fieldset('Column rules');
    await rules.getByRole('button', { name: 'Add entry' }).click();
    await rules.getByLabel('Key 1').fill('age');
    const rule = fieldset('Rule for age');
    await rule.getByLabel('Type').selectOption({ label: 'integer' });
    await rule.getByLabel('Minimum (inclusive)').fill('0');
    await rule.getByLabel('Maximum (inclusive)').fill('120');
    await page.getByRole('button', { name: 'Create job' }).click();
    await page.getByRole('heading', { name: 'Ages', level: 1, exact: true }).waitFor();
    const job = await stack.request<JobDto>('GET', `/api/jobs/${jobIdFromUrl()}`, { token: stack.admin.token });
    expect(job.body.params.columns).toEqual({ age: { type: 'integer', min: 0, max: 120 } });
  });

  test('a rule made over the API is shown in its fields and survives an edit', async () => {
    const columns = { id: { type: 'string', pattern: '^[0-9]+$', nonEmpty: true } };
    const id = await createJob(stack, stack.admin.token, { name: 'Ids', type: 'data-check', params: { content: 'id\n1\n', columns } });
    await page.goto(`/jobs/${id}/edit`);
    const rule = fieldset('Rule for id');
    await rule.waitFor();
    expect(await shownOption(rule.getByLabel('Type'))).toBe('string');
    expect(await rule.getByLabel('Pattern').inputValue()).toBe('^[0-9]+$');
    expect(await rule.getByLabel('Must not be blank').isChecked()).toBe(true);
    await page.getByLabel('Description').fill('ids are digits');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('heading', { name: 'Ids', level: 1, exact: true }).waitFor();
    const job = await stack.request<JobDto>('GET', `/api/jobs/${id}`, { token: stack.admin.token });
    expect(job.body.params.columns).toEqual(columns);
    expect(job.body.description).toBe('ids are digits');
  });
});

describe('http: keeping the response body', () => {
  test('the file name is checked before the job is saved; the run keeps the body and its page offers it as a download', async () => {
    const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"total":42}'));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const worker = await stack.addWorker(LOOPBACK_OPEN);
    try {
      await page.goto('/jobs/new?type=http');
      await page.getByLabel('Name', { exact: true }).fill('Keep the total');
      await page.getByLabel('URL', { exact: true }).fill(`http://127.0.0.1:${(server.address() as AddressInfo).port}/total`);
      const keep = page.getByLabel('Keep the body as');
      await keep.fill('../total.json');
      await page.getByRole('button', { name: 'Create job' }).click();
      const error = page.locator('[data-error-path="/params/saveBodyAs"]');
      await expect.poll(() => error.textContent()).toContain('Use a plain file name');
      expect(await keep.getAttribute('aria-invalid')).toBe('true');
      await keep.fill('total.json');
      await page.getByRole('button', { name: 'Create job' }).click();
      await page.getByRole('heading', { name: 'Keep the total', level: 1, exact: true }).waitFor();
      const job = await stack.request<JobDto>('GET', `/api/jobs/${jobIdFromUrl()}`, { token: stack.admin.token });
      expect(job.body.params.saveBodyAs).toBe('total.json');

      const runId = await startRun(stack, stack.admin.token, job.body.id);
      expect((await waitForRun(stack, runId, ['succeeded', 'failed'])).status).toBe('succeeded');
      await page.goto(`/runs/${runId}`);
      const link = page.getByRole('region', { name: 'Artifacts' }).getByRole('link', { name: 'total.json' });
      await link.waitFor();
      const download = await context.request.get(new URL((await link.getAttribute('href'))!, stack.baseUrl).href);
      expect([download.status(), await download.text()]).toEqual([200, '{"total":42}']);
    } finally {
      await worker.close();
      stack.workers.splice(stack.workers.indexOf(worker), 1);
      server.close();
    }
  });
});

describe('selects with a default show the default', () => {
  test('in the new job form', async () => {
    await page.goto('/jobs/new?type=http');
    expect(await shownOption(page.getByLabel('Method'))).toBe('GET');
    await page.goto('/jobs/new?type=data-check');
    expect(await shownOption(page.getByLabel('Format'))).toBe('auto');
  });

  test('in the edit and rerun forms of a job saved without them', async () => {
    const id = await createJob(stack, stack.admin.token, { name: 'Ping', type: 'http', params: { url: 'http://127.0.0.1:9/ping' } });
    await page.goto(`/jobs/${id}/edit`);
    expect(await shownOption(page.getByLabel('Method'))).toBe('GET');
    await page.goto(`/jobs/${id}`);
    await page.getByRole('button', { name: 'Run with changed parameters' }).click();
    const form = page.locator('form.run-params');
    expect(await shownOption(form.getByLabel('Method'))).toBe('GET');
    expect(await form.textContent()).toContain('Same parameters as before');
  });
});

describe('schedules while typing', () => {
  test('the cron expression is described in words, with its next due times, before saving', async () => {
    await page.goto('/jobs/new?type=sleep');
    await page.getByLabel('Name', { exact: true }).fill('Weekday nap');
    await page.getByLabel('Run on a schedule').check();
    await page.getByLabel('Time zone').fill('UTC');
    await page.getByLabel('Cron expression').fill('0 9 * * 1-5');
    const preview = page.locator('#job-cron-preview');
    await expect.poll(() => preview.textContent()).toContain('At 09:00 AM, Monday through Friday');
    const due = preview.locator('li time');
    await expect.poll(() => due.count()).toBe(5);
    for (const at of await due.evaluateAll((els) => els.map((el) => el.getAttribute('datetime') ?? ''))) {
      const date = new Date(at);
      expect(date.getUTCHours()).toBe(9);
      expect([1, 2, 3, 4, 5]).toContain(date.getUTCDay());
    }
  });

  test('a wrong expression is explained at once, in plain words', async () => {
    await page.getByLabel('Cron expression').fill('61 * * * *');
    const error = page.locator('[data-error-path="/schedule/cron"]');
    await expect.poll(() => error.textContent()).toContain('minute');
    expect(await error.textContent()).not.toContain('CronPattern');
    expect(await page.getByLabel('Cron expression').getAttribute('aria-invalid')).toBe('true');
    await page.getByLabel('Cron expression').fill('30 2 * * *');
    await expect.poll(() => error.count()).toBe(0);
  });

  test('the zone the hint suggests is taken: a city name becomes its IANA zone', async () => {
    expect(await page.locator('#job-timezone-hint').textContent()).toContain('Asia/Tokyo');
    await page.getByLabel('Time zone').fill('tokyo');
    await page.getByLabel('Time zone').blur();
    await expect.poll(() => page.getByLabel('Time zone').inputValue()).toBe('Asia/Tokyo');
    await page.getByRole('button', { name: 'Create job' }).click();
    await page.getByRole('heading', { name: 'Weekday nap', level: 1, exact: true }).waitFor();
    const job = await stack.request<JobDto>('GET', `/api/jobs/${jobIdFromUrl()}`, { token: stack.admin.token });
    expect(job.body.schedule).toEqual({ cron: '30 2 * * *', timezone: 'Asia/Tokyo' });
  });

  test('the server names a bad zone without a library prefix', async () => {
    const res = await stack.request<JobDto>('POST', '/api/jobs', {
      token: stack.admin.token,
      body: { name: 'bad', type: 'sleep', params: { seconds: 1 }, schedule: { cron: '0 * * * 8', timezone: 'UTC' } },
    });
    expect(res.status).toBe(422);
    expect(errorOf(res).details[0]?.message).not.toContain('CronPattern');
    expect(errorOf(res).details[0]?.message).toContain('day of week');
  });
});
