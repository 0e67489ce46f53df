import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startStack, type Stack } from '../support/stack';
import { ensureSignedIn, expectNotReloaded, launchBrowser, markPage, newContext, pageErrors, recordTexts, screenshot, signIn } from './support/browser';

const statusWord = (text: string) => text.replace(/^[^A-Za-z]+/, '');

let stack: Stack;
let browser: Browser;
let adminContext: BrowserContext;
let admin: Page;

beforeAll(async () => {
  stack = await startStack();
  browser = await launchBrowser();
  adminContext = await newContext(browser, stack.baseUrl);
  admin = await adminContext.newPage();
});

afterAll(async () => {
  const errors = adminContext ? pageErrors(adminContext) : [];
  await adminContext?.close();
  await browser?.close();
  await stack?.stop();
  expect(errors).toEqual([]);
});

describe('a shell job from the generated form to a live run', () => {
  let jobId = '';
  let runId = '';
  let viewerContext: BrowserContext;
  let viewer: Page;

  afterAll(async () => {
    const errors = viewerContext ? pageErrors(viewerContext) : [];
    await viewerContext?.close();
    expect(errors).toEqual([]);
  });

  test('a wrong password is refused with a clear message, the right one signs in', async () => {
    await admin.goto('/');
    await expect.poll(() => admin.url()).toContain('/signin');
    await screenshot(admin, '01-sign-in');
    await admin.getByLabel('Email').fill(stack.admin.email);
    await admin.getByLabel('Password').fill('not-the-password');
    await admin.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => admin.getByRole('alert').textContent()).toContain('Wrong email or password');
    await signIn(admin, stack.admin.email, stack.admin.password);
    await expect.poll(() => admin.locator('.connection').textContent()).toContain('Live');
  });

  test('another user keeps the dashboard open', async () => {
    const user = await stack.createUser('user');
    viewerContext = await newContext(browser, stack.baseUrl);
    viewer = await viewerContext.newPage();
    await signIn(viewer, user.email, user.password);
    await expect.poll(() => viewer.locator('.connection').textContent()).toContain('Live');
    await markPage(viewer);
  });

  test('the generated form shows a validation error at its field', async () => {
    await admin.getByRole('link', { name: 'New job', exact: true }).first().click();
    await admin.getByRole('radio', { name: /Shell script/ }).check();
    await admin.getByLabel('Name', { exact: true }).fill('Greeter');
    await admin.getByRole('button', { name: 'Create job' }).click();
    const scriptError = admin.locator('[data-error-path="/params/script"]');
    await expect.poll(() => scriptError.textContent()).toBe('Required.');
    expect(await admin.getByLabel('Script', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    await expect.poll(() => admin.evaluate(() => document.activeElement?.id ?? '')).toBe(await admin.getByLabel('Script', { exact: true }).getAttribute('id'));
    await screenshot(admin, '02-new-job-validation');
  });

  test('creates a shell job with a script and an environment variable', async () => {
    await admin
      .getByLabel('Script', { exact: true })
      .fill('echo "hello $GREETING"\nsleep 1.5\nfor i in 1 2 3 4 5; do echo "line $i"; sleep 0.2; done\necho "a warning" >&2');
    await admin.getByRole('button', { name: 'Add entry' }).click();
    await admin.getByLabel('Key 1').fill('GREETING');
    await admin.getByLabel('Value of GREETING').fill('world');
    await expect.poll(() => admin.locator('[data-error-path="/params/script"]').count()).toBe(0);
    await screenshot(admin, '03-new-job-filled');
    await admin.getByRole('button', { name: 'Create job' }).click();
    await admin.getByRole('heading', { name: 'Greeter', level: 1 }).waitFor();
    jobId = decodeURIComponent(new URL(admin.url()).pathname.split('/')[2] ?? '');
    const job = await stack.request('GET', `/api/jobs/${jobId}`, { token: stack.admin.token });
    expect(job.status).toBe(200);
    expect(job.body.type).toBe('shell');
    // Environment values are secrets: the API shows them masked.
    expect(job.body.params.env).toEqual({ GREETING: '****' });
    expect(job.body.params.script).toContain('hello $GREETING');
  });

  test('the other user sees the new job appear without reloading', async () => {
    await viewer.locator(`tr[data-job-id="${jobId}"]`).waitFor();
    expect(await viewer.locator(`tr[data-job-id="${jobId}"]`).textContent()).toContain('Greeter');
    await expectNotReloaded(viewer);
  });

  test('Run now: the run goes queued → running → succeeded and its lines appear, without a reload', async () => {
    await markPage(admin);
    const statuses = await recordTexts(admin, '.run-title .status');
    const viewerStatuses = await recordTexts(viewer, 'section[aria-labelledby="runs-title"] tbody tr:first-child .status');
    await admin.getByRole('button', { name: 'Run now' }).click();
    await admin.waitForURL(/\/runs\//);
    runId = decodeURIComponent(new URL(admin.url()).pathname.split('/')[2] ?? '');

    await admin.locator('.log-row', { hasText: 'hello world' }).waitFor();
    await expect.poll(() => admin.locator('.run-title .status').textContent(), { timeout: 30_000 }).toContain('Succeeded');
    await admin.locator('.log-row', { hasText: 'line 5' }).waitFor();
    expect(await admin.locator('.log-row.log-stderr').textContent()).toContain('a warning');

    const seen = (await statuses()).map(statusWord);
    // The worker may take the run before the POST's answer reaches the browser: the page keeps the
    // newest snapshot, so it can open at Running. Queued, when shown, comes first; the timeline always has it.
    expect(seen.indexOf('Running')).toBeGreaterThanOrEqual(0);
    expect(seen.indexOf('Running')).toBeGreaterThan(seen.indexOf('Queued'));
    expect(seen.indexOf('Succeeded')).toBeGreaterThan(seen.indexOf('Running'));
    expect(seen.every((s) => ['Queued', 'Running', 'Succeeded'].includes(s))).toBe(true);
    await expectNotReloaded(admin);

    // Line numbers are the seq, in order, each once.
    const seqs = await admin.locator('.log-row').evaluateAll((rows) => rows.map((row) => Number(row.getAttribute('data-seq'))));
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    const timeline = await admin.locator('.timeline').textContent();
    expect(timeline).toContain('Queued');
    expect(timeline).toContain('Succeeded');
    expect(await admin.getByText('Attempt 1 of 1').count()).toBe(1);
    await screenshot(admin, '04-run-succeeded');

    // The other user watched the same run appear and finish live.
    const row = viewer.locator(`tr[data-run-id="${runId}"]`);
    await expect.poll(() => row.locator('.status').textContent(), { timeout: 30_000 }).toContain('Succeeded');
    const viewerSeen = (await viewerStatuses()).map(statusWord);
    expect(viewerSeen).toContain('Running');
    expect(viewerSeen[viewerSeen.length - 1]).toBe('Succeeded');
    await expectNotReloaded(viewer);
    await expect.poll(() => viewer.locator(`tr[data-job-id="${jobId}"] .status`).textContent()).toContain('Succeeded');
    await screenshot(viewer, '05-dashboard-other-user');
  });

  test('the job page lists the run and shows the definition', async () => {
    await admin.getByRole('link', { name: 'Greeter' }).first().click();
    await admin.getByRole('heading', { name: 'Greeter', level: 1 }).waitFor();
    await admin.locator(`tr[data-run-id="${runId}"]`).waitFor();
    expect(await admin.locator('.params-view').textContent()).toContain('GREETING');
    await screenshot(admin, '06-job-page');
  });
});

describe('cancel and rerun', () => {
  let jobId = '';
  let cancelledRunId = '';

  beforeAll(async () => {
    const job = await stack.request('POST', '/api/jobs', { token: stack.admin.token, body: { name: 'Long sleep', type: 'sleep', params: { seconds: 120 } } });
    expect(job.status).toBe(201);
    jobId = job.body.id;
  });

  test('cancels a long run from its page', async () => {
    await ensureSignedIn(admin, stack.admin.email, stack.admin.password);
    await admin.goto(`/jobs/${jobId}`);
    await admin.getByRole('heading', { name: 'Long sleep', level: 1 }).waitFor();
    await admin.getByRole('button', { name: 'Run now' }).click();
    await admin.waitForURL(/\/runs\//);
    cancelledRunId = decodeURIComponent(new URL(admin.url()).pathname.split('/')[2] ?? '');
    await expect.poll(() => admin.locator('.run-title .status').textContent(), { timeout: 30_000 }).toContain('Running');
    await admin.locator('#run-progress').waitFor();
    await admin.getByRole('button', { name: 'Cancel run' }).click();
    await admin.getByRole('dialog').getByRole('button', { name: 'Cancel the run' }).click();
    await expect.poll(() => admin.locator('.run-title .status').textContent(), { timeout: 15_000 }).toContain('Cancelled');
    expect(await admin.getByRole('button', { name: 'Cancel run' }).count()).toBe(0);
    const run = await stack.request('GET', `/api/runs/${cancelledRunId}`, { token: stack.admin.token });
    expect(run.body.status).toBe('cancelled');
    await screenshot(admin, '07-run-cancelled');
  });

  test('reruns with a changed parameter, marking the changed field', async () => {
    await admin.getByRole('button', { name: 'Rerun with changed parameters' }).click();
    const form = admin.locator('form.run-params');
    await form.getByLabel('Seconds').waitFor();
    expect(await form.getByText('changed', { exact: true }).count()).toBe(0);
    await form.getByLabel('Seconds').fill('1');
    await expect.poll(() => form.locator('.field.changed').count()).toBe(1);
    expect(await form.locator('.field.changed').textContent()).toContain('Seconds');
    expect(await form.textContent()).toContain('1 field(s) differ from before');
    await screenshot(admin, '08-rerun-changed-params');
    await form.getByRole('button', { name: 'Rerun' }).click();
    await admin.waitForURL((url) => !url.pathname.endsWith(cancelledRunId));
    const newRunId = decodeURIComponent(new URL(admin.url()).pathname.split('/')[2] ?? '');
    await expect.poll(() => admin.locator('.run-title .status').textContent(), { timeout: 30_000 }).toContain('Succeeded');
    const run = await stack.request('GET', `/api/runs/${newRunId}`, { token: stack.admin.token });
    expect(run.body.params).toEqual({ seconds: 1 });
    expect(run.body.trigger).toMatchObject({ kind: 'rerun', rerunOf: cancelledRunId });
    expect(await admin.locator('.props').first().textContent()).toContain('Rerun');
  });
});

describe('a dropped connection', () => {
  test('the run page shows reconnecting, resubscribes with its last seq and shows every line once', async () => {
    const LINES = 400;
    const job = await stack.request('POST', '/api/jobs', {
      token: stack.admin.token,
      body: { name: 'Ticker', type: 'shell', params: { script: `i=0; while [ $i -lt ${LINES} ]; do i=$((i+1)); echo "tick $i"; sleep 0.01; done` } },
    });
    expect(job.status).toBe(201);
    await ensureSignedIn(admin, stack.admin.email, stack.admin.password);
    await admin.goto(`/jobs/${job.body.id}`);
    await admin.getByRole('heading', { name: 'Ticker', level: 1 }).waitFor();
    await expect.poll(() => admin.locator('.connection').textContent()).toContain('Live');
    const connection = await recordTexts(admin, '.connection');
    await admin.getByRole('button', { name: 'Run now' }).click();
    await admin.waitForURL(/\/runs\//);
    await admin.locator('.log-row', { hasText: 'tick 20' }).waitFor();

    // The server drops every socket of the user, as it does for a subscriber that cannot keep up.
    stack.app.deps.disconnect({ userId: stack.admin.id });

    await expect.poll(() => admin.locator('.run-title .status').textContent(), { timeout: 60_000 }).toContain('Succeeded');
    await expect.poll(() => admin.locator('#log-title').textContent()).toContain(`${LINES} lines`);
    const last = admin.locator(`.log-row[data-seq="${LINES}"]`);
    await last.waitFor();
    expect(await last.textContent()).toContain(`tick ${LINES}`);
    const states = await connection();
    expect(states.some((s) => s.includes('Reconnecting'))).toBe(true);
    expect(states[states.length - 1]).toContain('Live');
  });
});
