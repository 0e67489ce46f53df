import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';

/** Where each screen's screenshot goes, to be looked at after the run. */
export const SCREENSHOT_DIR = fileURLToPath(new URL('../../../test-results/screenshots/', import.meta.url));

/** Debian's Chromium (or `CHROMIUM_PATH`). */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** How the tests and the browser benchmark start it: headless, quiet, nothing fetched in the background. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Debian's Chromium, headless, without a profile directory of its own. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

export interface ContextOptions {
  locale?: string;
  colorScheme?: 'light' | 'dark';
  timezoneId?: string;
}

export async function newContext(browser: Browser, baseUrl: string, opts: ContextOptions = {}): Promise<BrowserContext> {
  const context = await browser.newContext({
    baseURL: baseUrl,
    viewport: { width: 1360, height: 900 },
    locale: opts.locale ?? 'en-US',
    colorScheme: opts.colorScheme ?? 'light',
    timezoneId: opts.timezoneId ?? 'Europe/Berlin',
  });
  context.setDefaultTimeout(20_000);
  const errors: string[] = [];
  pageErrorsOf.set(context, errors);
  context.on('page', (page) => page.on('pageerror', (error) => errors.push(`${page.url()}: ${error.message}`)));
  return context;
}

const pageErrorsOf = new WeakMap<BrowserContext, string[]>();

/** Uncaught errors thrown in the context's pages: a test run should end with none. */
export const pageErrors = (context: BrowserContext): string[] => pageErrorsOf.get(context) ?? [];

/** Signs in through the form at `url` (the context's base URL unless given) and waits for the dashboard. */
export async function signIn(page: Page, email: string, password: string, url = '/'): Promise<void> {
  await page.goto(url);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
}

/** Signs in unless this page's session is already signed in. */
export async function ensureSignedIn(page: Page, email: string, password: string): Promise<void> {
  if (page.url().startsWith('http') && (await page.locator('.who').count()) > 0) return;
  await signIn(page, email, password);
}

export async function screenshot(page: Page, name: string, fullPage = true): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  // A full-page shot of a scrolled page draws the sticky header halfway down.
  if (fullPage) await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `${SCREENSHOT_DIR}${name}.png`, fullPage });
}

/** Marks the page so a later check can prove it was never reloaded. */
export async function markPage(page: Page): Promise<void> {
  await page.evaluate(() => ((window as unknown as { __notReloaded: boolean }).__notReloaded = true));
}

export async function expectNotReloaded(page: Page): Promise<void> {
  expect(await page.evaluate(() => (window as unknown as { __notReloaded?: boolean }).__notReloaded === true)).toBe(true);
}

/** The texts a selector showed over time, recorded in the page by a MutationObserver. */
export async function recordTexts(page: Page, selector: string): Promise<() => Promise<string[]>> {
  const key = `__rec_${Math.random().toString(36).slice(2)}`;
  await page.evaluate(
    ({ key, selector }) => {
      const seen: string[] = [];
      (window as unknown as Record<string, unknown>)[key] = seen;
      const check = () => {
        const text = document.querySelector(selector)?.textContent?.trim();
        if (text && seen[seen.length - 1] !== text) seen.push(text);
      };
      new MutationObserver(check).observe(document.body, { subtree: true, childList: true, characterData: true });
      check();
    },
    { key, selector },
  );
  return () => page.evaluate((k) => [...((window as unknown as Record<string, string[]>)[k] ?? [])], key);
}

const AXE_SOURCE = fileURLToPath(new URL('../../../node_modules/axe-core/axe.min.js', import.meta.url));

/** The axe-core violations on the page as it is now (rule id and the first target of each), WCAG 2.1 A and AA. */
export async function axeViolations(page: Page): Promise<string[]> {
  // Evaluated through the browser's debugging channel, not added as a <script>: the page's CSP allows no inline script.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(`${readFileSync(AXE_SOURCE, 'utf8')}\n;true`);
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: { id: string; nodes: { target: string[] }[] }[] }> } })
      .axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return result.violations.map(
      (v) =>
        `${v.id}: ${v.nodes
          .map((n) => n.target.join(' '))
          .slice(0, 3)
          .join(', ')}`,
    );
  });
}
