import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { JobDto, RunDto } from '@jobflow/shared';
import { startStack, type Stack } from '../support/stack';
import { launchBrowser, newContext, pageErrors, signIn } from './support/browser';

let stack: Stack;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let jobId: string;
let runId: string;
const consoleViolations: string[] = [];

/** Every CSP violation the page reports, recorded from its first script on (before the app's own). */
const RECORD_VIOLATIONS = `
  window.__cspViolations = [];
  document.addEventListener('securitypolicyviolation', (e) => {
    window.__cspViolations.push(e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + ' at ' + e.sourceFile + ':' + e.lineNumber);
  });
`;

const violations = (p: Page) => p.evaluate(() => (window as unknown as { __cspViolations?: string[] }).__cspViolations ?? ['(recorder missing)']);

beforeAll(async () => {
  stack = await startStack();
  const token = stack.admin.token;
  const job = await stack.request<JobDto>('POST', '/api/jobs', {
    token,
    body: { name: 'csp check', type: 'shell', params: { script: 'echo one; echo two >&2' }, schedule: { cron: '0 3 * * *', timezone: 'UTC' } },
  });
  jobId = job.body.id;
  runId = (await stack.request<RunDto>('POST', `/api/jobs/${jobId}/runs`, { token, body: {} })).body.id;
  browser = await launchBrowser();
  context = await newContext(browser, stack.baseUrl);
  await context.addInitScript(RECORD_VIOLATIONS);
  context.on('console', (message) => {
    if (/Content.Security.Policy|Refused to/i.test(message.text())) consoleViolations.push(message.text());
  });
  page = await context.newPage();
});

afterAll(async () => {
  const errors = context ? pageErrors(context) : [];
  await context?.close();
  await browser?.close();
  await stack?.stop();
  expect(errors).toEqual([]);
});

describe('every screen under the CSP', () => {
  test('the sign-in screen, then every screen of a signed-in admin, report no CSP violation', async () => {
    await page.goto('/');
    await page.getByRole('heading', { name: 'Sign in to Jobflow' }).waitFor();
    expect(await violations(page)).toEqual([]);

    await signIn(page, stack.admin.email, stack.admin.password);
    // The session is in an HttpOnly cookie: nothing a page script can read.
    expect(await page.evaluate(() => document.cookie)).not.toMatch(/jf_session/);
    expect(await page.evaluate(() => JSON.stringify({ ...localStorage }))).not.toMatch(/eyJ/);
    const cookies = await context.cookies();
    expect(cookies.find((c) => c.name === 'jf_session')).toMatchObject({ httpOnly: true, sameSite: 'Strict' });

    const screens: [path: string, ready: (p: Page) => Promise<unknown>][] = [
      ['/', (p) => p.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor()],
      ['/jobs/new?type=shell', (p) => p.getByRole('heading', { level: 1 }).waitFor()],
      [`/jobs/${jobId}`, (p) => p.getByRole('heading', { name: 'csp check', level: 1 }).waitFor()],
      [`/jobs/${jobId}/edit`, (p) => p.getByLabel('Owner').waitFor()],
      [`/runs/${runId}`, (p) => p.locator('.log-viewer, .log-rows').first().waitFor()],
      ['/tokens', (p) => p.getByRole('heading', { name: 'API tokens', level: 1 }).waitFor()],
      ['/users', (p) => p.getByRole('heading', { name: 'Users', level: 1 }).waitFor()],
      ['/audit', (p) => p.locator('tr[data-action="session.signed_in"]').first().waitFor()],
    ];
    for (const [path, ready] of screens) {
      await page.goto(path);
      await ready(page).catch(async (e) => {
        throw new Error(`${path}: ${(e as Error).message}\n${(await page.locator('main').innerText()).slice(-1500)}`);
      });
      expect(await violations(page), path).toEqual([]);
    }

    // The job form validates params in the browser with the precompiled validators (no eval): an empty script is refused on the spot.
    await page.goto('/jobs/new?type=shell');
    await page.getByLabel('Name').first().fill('no script');
    await page.getByRole('button', { name: 'Create job' }).click();
    await page.locator('[data-error-path="/params/script"], .field-error').first().waitFor();
    expect(await violations(page)).toEqual([]);

    await page.goto('/api/docs');
    await page.locator('.swagger-ui .opblock').first().waitFor();
    expect(await violations(page), '/api/docs').toEqual([]);
    expect(consoleViolations).toEqual([]);
  });
});
