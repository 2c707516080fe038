// Headless Firefox for end-to-end tests: Debian's firefox-esr, driven by puppeteer-core over WebDriver BiDi
// (playwright-core drives only its own patched Firefox builds).
import { existsSync } from 'node:fs';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import type { Page as ChromiumPage } from 'playwright-core';
import { readRemoteTiles, remoteTilesInPage, waitFor, type TileLook } from './browser.js';

export const FIREFOX_PATH = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';

/** Whether Debian's Firefox is installed (CI installs it; see `.ci/run`). */
export const hasFirefox = (): boolean => existsSync(FIREFOX_PATH);

/** Firefox with a fake camera and microphone and no permission prompts, in a fresh profile. */
export async function launchFirefox(): Promise<Browser> {
  return puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX_PATH,
    headless: true,
    extraPrefsFirefox: {
      'media.navigator.streams.fake': true,
      'media.navigator.permission.disabled': true,
      'media.autoplay.default': 0,
      'media.autoplay.block-webaudio': false,
    },
  });
}

/** A new Firefox page at `url`, `init` run before the page's own scripts; errors thrown in the page are printed. */
export async function firefoxPage(browser: Browser, url: string, init?: () => void): Promise<Page> {
  const page = await browser.newPage();
  page.on('pageerror', (error) => console.error(`[firefox ${url}]`, error));
  if (init) await page.evaluateOnNewDocument(init);
  await page.goto(url);
  return page;
}

/** Either driver's page: both evaluate a self-contained function the same way. */
export type AnyPage = ChromiumPage | Page;

const tilesOf = (page: AnyPage): Promise<TileLook[]> =>
  'route' in page ? readRemoteTiles(page) : page.evaluate(remoteTilesInPage);

const meanLuma = (t: TileLook): number => t.samples.reduce((a, b) => a + b, 0) / Math.max(1, t.samples.length);

/**
 * Waits until `page` shows `name`'s picture and it changes. Firefox's fake camera is one flat colour
 * that drifts (`flat`): a lit picture whose colour changes; Chromium's has a pattern. Slow first
 * frames: two browsers start on 2 cores.
 */
export async function pictureMoves(page: AnyPage, name: string, flat = false): Promise<TileLook> {
  const first = await waitFor(
    `${name}'s picture`,
    async () =>
      (await tilesOf(page)).find(
        (t) => t.name === name && t.width >= 160 && (flat ? meanLuma(t) > 20 : t.lumaSpread > 8),
      ),
    45_000,
  );
  await waitFor(`${name}'s picture to move`, async () => {
    const again = (await tilesOf(page)).find((t) => t.id === first.id);
    return again && again.samples.some((v, i) => Math.abs(v - first.samples[i]!) > 6) ? true : undefined;
  });
  return first;
}
