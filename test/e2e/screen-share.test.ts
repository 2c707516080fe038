import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startRelay, type Relay } from '../../server/relay.js';
import { launchChromium, waitFor, type TestBrowser } from './browser.js';

/** What a person sees in a tile of one kind (`video` or `screen`): its decoded size and a luma fingerprint. */
interface Look {
  id: string;
  width: number;
  height: number;
  spread: number;
  samples: number[];
}

function readTiles(page: Page, kind: 'video' | 'screen'): Promise<Look[]> {
  return page.evaluate((kind) => {
    const root = document.querySelector('videocall-room')?.shadowRoot;
    if (!root) return [];
    const selector =
      kind === 'screen'
        ? '[part~="tile-remote"][part~="tile-screen"] [part~="video"]'
        : '[part~="tile-remote"]:not([part~="tile-screen"]) [part~="video"]';
    return [...root.querySelectorAll<HTMLVideoElement | HTMLCanvasElement>(selector)].map((el) => {
      const isVideo = el instanceof HTMLVideoElement;
      const width = isVideo ? el.videoWidth : el.width;
      const height = isVideo ? el.videoHeight : el.height;
      const copy = document.createElement('canvas');
      copy.width = 64;
      copy.height = 36;
      const ctx = copy.getContext('2d', { willReadFrequently: true })!;
      const samples: number[] = [];
      let spread = 0;
      if (width > 0 && height > 0) {
        ctx.drawImage(el, 0, 0, 64, 36);
        const { data } = ctx.getImageData(0, 0, 64, 36);
        const luma: number[] = [];
        for (let i = 0; i < data.length; i += 4)
          luma.push(0.299 * data[i]! + 0.587 * data[i + 1]! + 0.114 * data[i + 2]!);
        const mean = luma.reduce((a, b) => a + b, 0) / luma.length;
        spread = Math.sqrt(luma.reduce((a, b) => a + (b - mean) ** 2, 0) / luma.length);
        for (let i = 0; i < luma.length; i += 16) samples.push(Math.round(luma[i]!));
      }
      return { id: el.dataset.id ?? '', width, height, spread, samples };
    });
  }, kind);
}

/** Waits until the tile's pixels differ between two reads a moment apart (the picture is live). */
async function changes(page: Page, kind: 'video' | 'screen'): Promise<Look> {
  return waitFor(`a live ${kind} tile`, async () => {
    const [before] = await readTiles(page, kind);
    await new Promise((r) => setTimeout(r, 700));
    const [after] = await readTiles(page, kind);
    if (!before || !after || after.width === 0) return undefined;
    const diff = after.samples.reduce((n, v, i) => n + Math.abs(v - (before.samples[i] ?? v)), 0);
    return diff > 0 ? after : undefined;
  });
}

describe('screen share through a real relay', () => {
  let relay: Relay;
  let chromium: TestBrowser;
  let ada: Page;
  let grace: Page;

  beforeAll(async () => {
    relay = await startRelay({ host: '127.0.0.1', port: 0 });
    // Headless getDisplayMedia picks the (fake) entire screen by itself with this flag.
    chromium = await launchChromium(['--auto-select-desktop-capture-source=Entire screen']);
    ada = await chromium.newPage(`${relay.url}/?room=e2e-screen&name=Ada&mic=off`);
    grace = await chromium.newPage(`${relay.url}/?room=e2e-screen&name=Grace&mic=off&camera=off`);
    await grace.setViewportSize({ width: 1280, height: 800 });
    await waitFor(
      'both joined',
      async () => {
        const n = await grace.evaluate(() => document.querySelector('videocall-room')?.participants.length ?? 0);
        return n === 1 ? true : undefined;
      },
      60_000,
    );
    await changes(grace, 'video');
  }, 90_000);

  afterAll(async () => {
    await chromium?.close();
    await relay?.close();
  });

  it('the screen button shares: the other page gets a second, live tile, and the camera keeps going', async () => {
    const events = grace.evaluate(
      () =>
        new Promise<{ sharing: boolean; local: boolean; participantId: string }>((resolve) =>
          document
            .querySelector('videocall-room')!
            .addEventListener(
              'vc-screen-share',
              (e) => resolve({ sharing: e.sharing, local: e.local, participantId: e.participantId }),
              {
                once: true,
              },
            ),
        ),
    );
    // A real click: getDisplayMedia needs a user gesture.
    await ada.click('videocall-room >> [part~="screen-button"]');
    await waitFor('Ada sharing', async () =>
      (await ada.evaluate(() => document.querySelector('videocall-room')!.screenSharing)) ? true : undefined,
    );
    expect(await ada.getAttribute('videocall-room >> [part~="screen-button"]', 'aria-pressed')).toBe('true');

    const event = await events;
    const adaId = await ada.evaluate(() => document.querySelector('videocall-room')!.roomClient!.sessionId);
    expect(event).toEqual({ sharing: true, local: false, participantId: adaId });

    const screen = await changes(grace, 'screen');
    expect(screen.id).toBe(adaId);
    expect(screen.spread).toBeGreaterThan(1);
    const info = await grace.evaluate(() => document.querySelector('videocall-room')!.participants[0]!);
    expect(info.screen).toBe(true);
    expect(info.screenLayer).not.toBeNull();
    // The camera tile is still live beside it.
    await changes(grace, 'video');

    // The sharer announced SCREEN layers: full resolution first, a smaller one after.
    const layers = await grace.evaluate(() => {
      const p = document.querySelector('videocall-room')!.roomClient!.participants.values().next().value!;
      return p.screenLayers.map((l) => l.height);
    });
    expect(layers.length).toBe(2);
    expect(layers[0]).toBeGreaterThan(layers[1]!);
    // Sent at a screen's frame rate (at most 15 fps), not a camera's.
    const rate = await ada.evaluate(async () => {
      const share = document.querySelector('videocall-room')!.roomClient!.screenShare;
      const before = share.stats!.framesRead;
      await new Promise((r) => setTimeout(r, 2000));
      return (share.stats!.framesRead - before) / 2;
    });
    expect(rate).toBeLessThanOrEqual(17);
  }, 90_000);

  it('stopping removes the tile on the other page; the camera tile stays', async () => {
    await ada.click('videocall-room >> [part~="screen-button"]');
    await waitFor('the screen tile gone', async () =>
      (await readTiles(grace, 'screen')).length === 0 ? true : undefined,
    );
    const info = await grace.evaluate(() => document.querySelector('videocall-room')!.participants[0]!);
    expect(info.screen).toBe(false);
    expect((await readTiles(grace, 'video')).length).toBe(1);
  }, 60_000);

  it("the browser's own stop (the track ends) stops sharing cleanly", async () => {
    await ada.click('videocall-room >> [part~="screen-button"]');
    await changes(grace, 'screen');
    await ada.evaluate(() => {
      const track = document.querySelector('videocall-room')!.roomClient!.screenShare.track!;
      track.stop();
      // stop() fires no 'ended' on the page's own track; the browser's bar does: do what it does.
      track.dispatchEvent(new Event('ended'));
    });
    await waitFor('the screen tile gone', async () =>
      (await readTiles(grace, 'screen')).length === 0 ? true : undefined,
    );
    expect(await ada.evaluate(() => document.querySelector('videocall-room')!.screenSharing)).toBe(false);
    expect(await ada.getAttribute('videocall-room >> [part~="screen-button"]', 'aria-pressed')).toBe('false');
  }, 60_000);
});
