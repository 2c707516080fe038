// Headless Chromium for end-to-end tests: Debian's binary, driven by playwright-core.
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll } from 'vitest';
import { startRelay, type Relay, type RelayOptions } from '../../server/relay.js';
import { chromiumArgs, CHROMIUM_PATH, freshProfileDir } from '../chromium.mjs';

export interface TestBrowser {
  context: BrowserContext;
  newPage(url: string): Promise<Page>;
  close(): Promise<void>;
}

/**
 * Launches Chromium with a fake camera and microphone and a fresh profile. `denied` devices are
 * refused as a person would refuse them: not granted, and no fake prompt that says yes.
 */
export async function launchChromium(
  extraArgs: string[] = [],
  denied: readonly ('camera' | 'microphone')[] = [],
): Promise<TestBrowser> {
  const profile = freshProfileDir();
  const args = chromiumArgs(extraArgs).filter(
    (flag) => denied.length === 0 || !flag.startsWith('--use-fake-ui-for-media-stream'),
  );
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args,
    permissions: (['camera', 'microphone'] as const).filter((device) => !denied.includes(device)),
    viewport: { width: 960, height: 600 },
  });
  return {
    context,
    async newPage(url: string) {
      const page = await context.newPage();
      page.on('pageerror', (error) => console.error(`[page ${url}]`, error));
      await page.goto(url);
      return page;
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** What a person sees in each remote tile: how bright, how varied, and a fingerprint to tell change. */
export interface TileLook {
  id: string;
  name: string;
  width: number;
  height: number;
  /** Standard deviation of luma: 0 for a flat (blank) picture. */
  lumaSpread: number;
  /** Luma of a 16×9 grid of samples, to compare two moments. */
  samples: number[];
  audioLevel: number;
}

/** Reads every remote tile's pixels from the page as a person would see them. */
export function readRemoteTiles(page: Page): Promise<TileLook[]> {
  return page.evaluate(remoteTilesInPage);
}

/**
 * {@link readRemoteTiles} as the function that runs in the page, for drivers
 * other than Playwright (Firefox through puppeteer-core). Self-contained: it
 * travels as source.
 */
export function remoteTilesInPage(): TileLook[] {
  const el = document.querySelector('videocall-room');
  const root = el?.shadowRoot;
  if (!el || !root) return [];
  const levels = new Map(el.participants.map((p) => [p.id, p]));
  // Remote video is a <video> fed by a track generator (Chromium) or a <canvas>.
  return [...root.querySelectorAll<HTMLCanvasElement | HTMLVideoElement>('[part~="tile-remote"] [part~="video"]')].map(
    (tile) => {
      const id = tile.dataset.id ?? '';
      const isVideo = tile instanceof HTMLVideoElement;
      const width = isVideo ? tile.videoWidth : tile.width;
      const height = isVideo ? tile.videoHeight : tile.height;
      const copy = document.createElement('canvas');
      copy.width = 64;
      copy.height = 36;
      const ctx = copy.getContext('2d', { willReadFrequently: true })!;
      let lumaSpread = 0;
      const samples: number[] = [];
      if (width > 0 && height > 0 && !tile.hidden) {
        ctx.drawImage(tile, 0, 0, copy.width, copy.height);
        const { data } = ctx.getImageData(0, 0, copy.width, copy.height);
        const luma: number[] = [];
        for (let i = 0; i < data.length; i += 4)
          luma.push(0.299 * data[i]! + 0.587 * data[i + 1]! + 0.114 * data[i + 2]!);
        const mean = luma.reduce((a, b) => a + b, 0) / luma.length;
        lumaSpread = Math.sqrt(luma.reduce((a, b) => a + (b - mean) ** 2, 0) / luma.length);
        for (let y = 0; y < 9; y++)
          for (let x = 0; x < 16; x++) samples.push(Math.round(luma[(y * 4 + 2) * 64 + x * 4 + 2]!));
      }
      const info = levels.get(id);
      return {
        id,
        name: info?.name ?? '',
        width,
        height,
        lumaSpread,
        samples,
        audioLevel: info?.audioLevel ?? 0,
      };
    },
  );
}

/** Polls `check` until it returns a value that is not undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 20_000,
  everyMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/**
 * A relay on a free loopback port and a Chromium, started before a file's tests and closed after
 * them. Read `relay` and `chromium` from the returned object inside the tests.
 */
export function relayAndChromium(options: RelayOptions = {}): { relay: Relay; chromium: TestBrowser } {
  const env = {} as { relay: Relay; chromium: TestBrowser };
  beforeAll(async () => {
    env.relay = await startRelay({ host: '127.0.0.1', port: 0, ...options });
    env.chromium = await launchChromium();
  });
  afterAll(async () => {
    await env.chromium?.close();
    await env.relay?.close();
  });
  return env;
}
