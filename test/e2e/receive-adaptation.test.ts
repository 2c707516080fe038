import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startRelay, type Relay } from '../../server/relay.js';
import { launchChromium, waitFor, type TestBrowser } from './browser.js';
import { liveTile, publisherAndLargeViewer, remoteTile } from './remote-tile.js';

/** The element's `receiveQuality`, and every `vc-receive-quality` it fired so far. */
function receiveQuality(page: Page): Promise<{
  quality: { maxHeight: number | null; limitedBy: string | null } | null;
  events: { maxHeight: number | null; limitedBy: string | null }[];
}> {
  return page.evaluate(() => ({
    quality: document.querySelector('videocall-room')!.receiveQuality,
    events: (window as unknown as { receiveEvents: { maxHeight: number | null; limitedBy: string | null }[] })
      .receiveEvents,
  }));
}

/** Whether the publisher's encoder runs the layer `height` tall now. */
function encodes(page: Page, height: number): Promise<boolean> {
  return page.evaluate(
    (height) =>
      (document.querySelector('videocall-room')!.roomClient?.local.videoStats?.layers ?? []).some(
        (l) => l.height === height && l.active,
      ),
    height,
  );
}

describe('receive adaptation: a page that cannot keep up asks for smaller layers', () => {
  let relay: Relay;
  let chromium: TestBrowser;
  let ada: Page;
  let grace: Page;

  beforeAll(async () => {
    relay = await startRelay({ host: '127.0.0.1', port: 0 });
    chromium = await launchChromium();
    ({ ada, grace } = await publisherAndLargeViewer(chromium, relay.url, 'e2e-receive-adaptation'));
    await grace.evaluate(() => {
      const w = window as unknown as { receiveEvents: unknown[] };
      w.receiveEvents = [];
      document
        .querySelector('videocall-room')!
        .addEventListener('vc-receive-quality', (e) =>
          w.receiveEvents.push({ maxHeight: e.maxHeight, limitedBy: e.limitedBy }),
        );
    });
  });

  afterAll(async () => {
    await chromium?.close();
    await relay?.close();
  });

  it('a page whose own scripts stall it is not moved down: its decoders idle, smaller video would not help', async () => {
    await liveTile(grace, 720);
    // 150 ms of every 250 ms blocked: frames arrive in bursts, but decoding them takes little time.
    await grace.evaluate(() => {
      (window as unknown as { blocker: number }).blocker = window.setInterval(() => {
        const end = performance.now() + 150;
        while (performance.now() < end) {
          // busy, as a page whose own scripts take the main thread
        }
      }, 250);
    });
    await new Promise((r) => setTimeout(r, 6000));
    await grace.evaluate(() => clearInterval((window as unknown as { blocker: number }).blocker));
    expect(await receiveQuality(grace)).toEqual({ quality: { maxHeight: null, limitedBy: null }, events: [] });
    expect((await remoteTile(grace))?.layerHeight).toBe(720);
  });

  it('on a CPU too slow for what it receives, steps down (the publisher stops the unwatched layer), and back up once it is fast again', async () => {
    // Chromium's CPU throttling slows this page's main thread 60-fold: each decoded frame takes
    // far longer to come out of the decoder and be handed on than at full speed.
    const cdp = await grace.context().newCDPSession(grace);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 60 });
    let limited: { maxHeight: number | null; limitedBy: string | null };
    try {
      limited = await waitFor(
        'the page to ask for a smaller layer, saying why',
        async () => {
          const { quality } = await receiveQuality(grace);
          return quality?.limitedBy === 'cpu' ? quality : undefined;
        },
        20_000,
        500,
      );
    } finally {
      await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
    }
    expect(limited.maxHeight).toBeLessThan(720);
    const { events } = await receiveQuality(grace);
    expect(events[0]).toEqual({ maxHeight: 360, limitedBy: 'cpu' });
    // The relay forwards the smaller layer, and nobody watches Ada's 720p one any more: she stops it.
    const small = await waitFor('a smaller layer in the tile', async () => {
      const tile = await remoteTile(grace);
      return tile && tile.layerHeight! <= limited.maxHeight! && tile.height === tile.layerHeight ? tile : undefined;
    });
    await waitFor('the publisher to stop the 720p layer', async () => ((await encodes(ada, 720)) ? undefined : true));
    console.log(`[receive-adaptation] slow CPU: ${JSON.stringify(events)}, tile ${small.height}p`);

    // At full speed again: after the step settles (2 s) and 8 s of calm, back to what the tile asks.
    const restoredAt = Date.now();
    const restored = await waitFor(
      'the 720p layer again, no longer limited',
      async () => {
        const { quality } = await receiveQuality(grace);
        const tile = await remoteTile(grace);
        return quality?.limitedBy === null && tile?.height === 720 && tile.layerHeight === 720 ? tile : undefined;
      },
      40_000,
      500,
    );
    console.log(`[receive-adaptation] back to ${restored.height}p ${Date.now() - restoredAt} ms after full speed`);
    expect((await receiveQuality(grace)).events.at(-1)).toEqual({ maxHeight: null, limitedBy: null });
  }, 90_000);
});
