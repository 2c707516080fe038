// Headless Firefox for end-to-end tests: Debian's firefox-esr, driven by puppeteer-core over WebDriver BiDi
// (playwright-core drives only its own patched Firefox builds).
import { existsSync } from 'node:fs';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

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
