import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startRelay, type Relay } from '../../server/relay.js';
import { launchChromium, waitFor, type TestBrowser } from './browser.js';
import { liveTile, publisherAndLargeViewer, remoteTile, sizeElement } from './remote-tile.js';

/** The height of the largest layer the (one) remote publisher announces now. */
function topLayer(page: Page): Promise<number> {
  return page.evaluate(() => {
    const p = document.querySelector('videocall-room')!.roomClient?.participants.values().next().value;
    return Math.max(0, ...(p?.videoLayers ?? []).map((l) => l.height));
  });
}

interface LayerCount {
  active: boolean;
  height: number;
  frames: number;
}

/** The publisher's encoder: which layers it encodes now, and each one's frames so far. */
function publisherLayers(page: Page): Promise<LayerCount[]> {
  return page.evaluate(() => {
    const stats = document.querySelector('videocall-room')!.roomClient?.local.videoStats;
    return (stats?.layers ?? []).map((l) => ({ active: l.active, height: l.height, frames: l.framesEncoded }));
  });
}

/**
 * Waits for a second in which the publisher encodes exactly the layers of
 * `heights` (named by height: its CPU adaptation may stop its top layer on a
 * busy machine): those gain frames, the others gain none. `heights` may be a
 * function, read before and after the second, which must agree.
 */
async function encodesOnly(page: Page, heights: number[] | (() => Promise<number[]>)): Promise<LayerCount[]> {
  const expected = typeof heights === 'function' ? heights : () => Promise.resolve(heights);
  let last: number[] = [];
  return waitFor(`the publisher to encode only the watched layers`, async () => {
    const watched = await expected();
    last = watched;
    const before = await publisherLayers(page);
    await new Promise((r) => setTimeout(r, 1000));
    const after = await publisherLayers(page);
    if ((await expected()).join() !== watched.join()) return undefined;
    const same = before.length === after.length && before.every((l, i) => l.height === after[i]!.height);
    const ok = after.every((l, i) => {
      const isWatched = watched.includes(l.height);
      const gained = l.frames - before[i]!.frames;
      return l.active === isWatched && before[i]!.active === isWatched && (isWatched ? gained > 0 : gained === 0);
    });
    return same && ok ? after : undefined;
  }).catch((error: Error) => {
    throw new Error(`${error.message} (watched: ${last.join(', ')}p)`);
  });
}

/** The height of the layer `page` receives of its one remote publisher, as a list (empty while none). */
async function receivedLayer(page: Page): Promise<number[]> {
  const height = await page.evaluate(() => {
    const p = document.querySelector('videocall-room')!.roomClient?.participants.values().next().value;
    return p ? p.videoLayers[p.videoLayer ?? -1]?.height : undefined;
  });
  return height === undefined ? [] : [height];
}

describe('simulcast through a real relay: the tile size chooses the layer', () => {
  let relay: Relay;
  let chromium: TestBrowser;
  let ada: Page;
  let grace: Page;

  beforeAll(async () => {
    relay = await startRelay({ host: '127.0.0.1', port: 0 });
    chromium = await launchChromium();
    ({ ada, grace } = await publisherAndLargeViewer(chromium, relay.url, 'e2e-simulcast'));
  });

  afterAll(async () => {
    await chromium?.close();
    await relay?.close();
  });

  it('a large tile receives the 720p layer, and the publisher encodes only what is watched', async () => {
    const big = await liveTile(grace, 720);
    expect(big?.layerHeight).toBe(720);
    const announced = await grace.evaluate(() =>
      document
        .querySelector('videocall-room')!
        .roomClient!.participants.values()
        .next()
        .value!.videoLayers.map((l) => l.height),
    );
    expect(announced.slice(-2)).toEqual([360, 180]);
    // Only the layer Grace receives (720p, unless Ada's CPU adaptation has stopped it since) is
    // watched: the relay's LayerDemand stops the others at Ada's (their bytes stop).
    await encodesOnly(ada, () => receivedLayer(grace));
  });

  it('shrinking the element moves the remote tile to the 180p layer within a couple of seconds; growing brings 720p back', async () => {
    const shrunkAt = Date.now();
    await sizeElement(grace, 400, 260);
    const small = await waitFor(
      'the remote tile at 180p',
      async () => {
        const tile = await remoteTile(grace);
        // Picture and layer are read one after the other: both must say 180p in the same sample.
        return tile?.height === 180 && tile.layerHeight === 180 ? tile : undefined;
      },
      5000,
      100,
    );
    const toSmall = Date.now() - shrunkAt;
    expect(small.layerHeight).toBe(180);
    // Ada now encodes the 180p layer and no longer the 720p one nobody watches.
    await encodesOnly(ada, [180]);

    const grownAt = Date.now();
    await sizeElement(grace, 1500, 900);
    // The large tile asks for the largest layer Ada announces: 720p, unless her CPU adaptation
    // stopped that layer on a busy machine (then 720p is not there to be had, and she says why).
    const big = await waitFor(
      'the remote tile at the top layer again',
      async () => {
        const top = await topLayer(grace);
        const tile = await remoteTile(grace);
        const quality = await ada.evaluate(() => document.querySelector('videocall-room')!.roomClient?.sendQuality);
        return tile?.height === top && tile.layerHeight === top ? { ...tile, top, quality } : undefined;
      },
      5000,
      100,
    );
    const toBig = Date.now() - grownAt;
    console.log(`[simulcast] Ada sends ${JSON.stringify(big.quality)}; the large tile got ${big.layerHeight}p`);
    if (big.top !== 720) expect(big.quality?.limitedBy).toBe('cpu');
    else expect(big.layerHeight).toBe(720);
    console.log(`[simulcast] 720p → 180p tile in ${toSmall} ms, 180p → ${big.layerHeight}p in ${toBig} ms`);
    expect(toSmall).toBeLessThan(3000);
    expect(toBig).toBeLessThan(3000);
  });
});
