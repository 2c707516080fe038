/**
 * What the browser benchmarks share: Debian's Chromium driven by playwright-core
 * (as test/e2e does), a relay in this process serving the bench pages from its
 * own origin (Chromium's Local Network Access checks block pages served from
 * elsewhere from reaching a loopback relay), and the pages themselves.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startRelay, type Relay, type RelayOptions } from '../server/relay.js';
import { setLogLevel } from '../server/log.js';
import { chromiumArgs, CHROMIUM_PATH, freshProfileDir } from '../test/chromium.mjs';

const REPO = fileURLToPath(new URL('..', import.meta.url));

export interface BenchBrowser {
  context: BrowserContext;
  /** Opens `url`; `initScript` runs in the page before any of its own scripts. */
  newPage(url: string, initScript?: string): Promise<Page>;
  close(): Promise<void>;
}

/**
 * Chromium with the fake camera at 30 fps (the default fake device runs at 20)
 * and a fresh profile. Page errors and `vc-error`s are printed, never thrown.
 */
export async function launchBenchChromium(viewport = { width: 1280, height: 800 }): Promise<BenchBrowser> {
  const profile = freshProfileDir();
  const args = chromiumArgs([
    // The later flag wins: the same fake camera, at 30 fps.
    '--use-fake-device-for-media-stream=fps=30',
    // Pages in the background must keep their timers and frames running at full rate.
    '--disable-background-timer-throttling',
    '--disable-renderer-backgrounding',
    '--disable-backgrounding-occluded-windows',
  ]);
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args,
    permissions: ['camera', 'microphone'],
    viewport,
  });
  // tsx compiles with esbuild's keepNames, which wraps named functions inside the
  // callbacks we pass to page.evaluate in a `__name(...)` call the page lacks.
  await context.addInitScript('globalThis.__name ??= (fn) => fn;');
  return {
    context,
    async newPage(url: string, initScript?: string) {
      const page = await context.newPage();
      page.on('pageerror', (error) => console.error(`  [page ${new URL(url).pathname}] ${error.message}`));
      page.on('console', (message) => {
        const text = message.text();
        // The relay serves no favicon: that 404 is noise.
        if (text.startsWith('Failed to load resource') && text.includes('404')) return;
        if (message.type() === 'error' || text.startsWith('vc-error'))
          console.error(`  [page ${new URL(url).pathname}] ${text}`);
      });
      if (initScript) await page.addInitScript(initScript);
      await page.goto(url);
      return page;
    },
    async close() {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** `Chromium 156.0.8078.79` (what `chromium --version` says, without the distribution). */
export function chromiumVersion(): Promise<string> {
  return new Promise((resolve) => {
    execFile(CHROMIUM_PATH, ['--version'], { timeout: 10_000 }, (error, stdout) => {
      const line = String(stdout).trim().split('\n').at(-1) ?? '';
      resolve(error || !line ? 'unknown' : line.replace(/\s+built on.*$/, ''));
    });
  });
}

/** A relay in this process whose `/` is the demo page and whose other files are the bench pages. */
export interface BenchSite {
  relay: Relay;
  /** `http://127.0.0.1:<port>` */
  url: string;
  close(): Promise<void>;
}

/**
 * Starts a relay on loopback serving the demo page (`/?room=&name=`, exactly as
 * a site embeds the element) and the pages in `pages` (file name → HTML).
 */
export async function startBenchSite(
  pages: Record<string, string> = {},
  options: RelayOptions = {},
): Promise<BenchSite> {
  setLogLevel('warn');
  const dir = mkdtempSync(join(tmpdir(), 'vc-bench-pages-'));
  copyFileSync(join(REPO, 'demo', 'index.html'), join(dir, 'index.html'));
  for (const [name, html] of Object.entries(pages)) writeFileSync(join(dir, name), html);
  const relay = await startRelay({
    host: '127.0.0.1',
    port: 0,
    demoDir: dir,
    distDir: join(REPO, 'dist'),
    shutdownTimeoutMs: 500,
    ...options,
  });
  return {
    relay,
    url: relay.url,
    async close() {
      await relay.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `check` until it returns something other than undefined; undefined after `timeoutMs`. */
export async function poll<T>(
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  everyMs = 100,
): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    await sleep(everyMs);
  }
  return undefined;
}

/**
 * A page's clock (`performance.timeOrigin + now()`) minus `Date.now()`, averaged:
 * pages of two browsers differ by their offsets, which a time painted on one and
 * read on the other must be corrected by.
 */
export function clockOffset(page: Page): Promise<number> {
  return page.evaluate(() => {
    let sum = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++) sum += performance.timeOrigin + performance.now() - Date.now();
    return sum / n;
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Percentile `p` (0..1) of sorted numbers, nearest rank; NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

/**
 * An init script that makes `getUserMedia` give the fake camera at exactly
 * `width`×`height` (the element asks for an ideal 1280×720), as a camera of that
 * size would.
 */
export function cameraSizeScript(width: number, height: number): string {
  return `(() => {
    const md = navigator.mediaDevices;
    const original = md.getUserMedia.bind(md);
    md.getUserMedia = (constraints) => {
      if (constraints && constraints.video) {
        const video = typeof constraints.video === 'object' ? constraints.video : {};
        constraints = { ...constraints, video: { ...video, width: { exact: ${width} }, height: { exact: ${height} }, frameRate: { ideal: 30 } } };
      }
      return original(constraints);
    };
  })();`;
}
