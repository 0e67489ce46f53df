import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import lighthouse from 'lighthouse';
import desktopConfig from 'lighthouse/core/config/desktop-config.js';
import { chromium, type Browser } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../tests/e2e/support/browser';

export interface SharedChromium {
  /** Playwright's view of the browser: `contexts()[0]` is its default context, the one Lighthouse's tabs open in. */
  browser: Browser;
  /** The DevTools port Lighthouse connects to. */
  port: number;
  stop(): Promise<void>;
}

/**
 * Debian's Chromium, headless, on a fresh profile, with a DevTools port that
 * Playwright and Lighthouse share: a user signed in through the default
 * context is the user Lighthouse's tabs load pages as.
 */
export async function launchSharedChromium(): Promise<SharedChromium> {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'jobflow-bench-chromium-'));
  // In a process group of its own, so that its helper processes (zygote, renderers, GPU) go with it.
  const child = spawn(CHROMIUM_PATH, [...CHROMIUM_ARGS, '--lang=en-US', '--remote-debugging-port=0', `--user-data-dir=${profile}`, 'about:blank'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // The group is gone already.
    }
  };
  // A helper process may still write to the profile for a moment after the browser has exited: retried, and
  // a profile that still cannot be removed is left in the temporary folder rather than failing the benchmark.
  const removeProfile = () => {
    signalGroup('SIGKILL');
    try {
      rmSync(profile, { recursive: true, force: true, maxRetries: 20, retryDelay: 100 });
    } catch (e) {
      console.warn(`could not remove the Chromium profile ${profile}: ${(e as Error).message}`);
    }
  };
  try {
    const endpoint = await new Promise<string>((resolve, reject) => {
      let text = '';
      const timer = setTimeout(() => reject(new Error(`Chromium did not open its DevTools port in 60 s: ${text.slice(-500)}`)), 60_000);
      const onData = (chunk: Buffer) => {
        text += chunk.toString();
        const found = /DevTools listening on (ws:\/\/\S+)/.exec(text);
        if (!found) return;
        clearTimeout(timer);
        child.stderr!.off('data', onData);
        // Drained from now on, so Chromium never blocks on a full pipe.
        child.stderr!.resume();
        resolve(found[1]!);
      };
      child.stderr!.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`Chromium exited (${code}): ${text.slice(-500)}`));
      });
    });
    const browser = await chromium.connectOverCDP(endpoint);
    return {
      browser,
      port: Number(new URL(endpoint).port),
      async stop() {
        await browser.close().catch(() => {});
        signalGroup('SIGTERM');
        const timer = setTimeout(() => signalGroup('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
        removeProfile();
      },
    };
  } catch (e) {
    signalGroup('SIGKILL');
    await exited;
    removeProfile();
    throw e;
  }
}

export type FormFactor = 'desktop' | 'mobile';

/** What one Lighthouse navigation measured. */
export interface LighthouseFigures {
  performance: number;
  accessibility: number;
  bestPractices: number;
  /** Cumulative layout shift. */
  cls: number;
  fcpMs: number;
  lcpMs: number;
  tbtMs: number;
  speedIndexMs: number;
  /** Bytes transferred by every request of the load (compressed sizes, headers included). */
  transferBytes: number;
  requests: number;
  /** Lighthouse's measure of the CPU it ran on (higher is faster; its simulated phone assumes a fast desktop's, ~1,000–2,000, slowed 4×). */
  benchmarkIndex: number;
  /** The whole report, for looking into a figure. */
  report: string;
}

/**
 * One Lighthouse navigation of `url` in a new tab of the shared Chromium, with
 * Lighthouse's own settings for the form factor (mobile: a mid-range phone on
 * slow 4G with a 4× slower CPU, simulated; desktop: its desktop preset). The
 * HTTP cache is emptied first; cookies and local storage are kept, so the
 * page loads as a signed-in user's first visit of the day.
 */
export async function runLighthouse(port: number, url: string, formFactor: FormFactor): Promise<LighthouseFigures> {
  const result = await lighthouse(
    url,
    { port, output: 'json', logLevel: 'error', onlyCategories: ['performance', 'accessibility', 'best-practices'] },
    formFactor === 'desktop' ? desktopConfig : undefined,
  );
  if (!result) throw new Error(`Lighthouse returned nothing for ${url}`);
  const { lhr } = result;
  if (lhr.runtimeError) throw new Error(`Lighthouse could not load ${url}: ${lhr.runtimeError.code} ${lhr.runtimeError.message}`);
  const score = (id: string) => Math.round((lhr.categories[id]?.score ?? NaN) * 100);
  const numeric = (id: string) => lhr.audits[id]?.numericValue ?? NaN;
  const requests = (lhr.audits['network-requests']?.details as { items?: unknown[] } | undefined)?.items?.length ?? NaN;
  return {
    performance: score('performance'),
    accessibility: score('accessibility'),
    bestPractices: score('best-practices'),
    cls: numeric('cumulative-layout-shift'),
    fcpMs: numeric('first-contentful-paint'),
    lcpMs: numeric('largest-contentful-paint'),
    tbtMs: numeric('total-blocking-time'),
    speedIndexMs: numeric('speed-index'),
    transferBytes: numeric('total-byte-weight'),
    requests,
    benchmarkIndex: lhr.environment.benchmarkIndex,
    report: typeof result.report === 'string' ? result.report : JSON.stringify(lhr),
  };
}
