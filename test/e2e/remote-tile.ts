import type { Page } from 'playwright-core';
import { readRemoteTiles, waitFor, type TestBrowser } from './browser.js';

/** Sets the element's size in CSS pixels (the demo page lets it fill the page). */
export async function sizeElement(page: Page, width: number, height: number): Promise<void> {
  await page.evaluate(
    ({ width, height }) => {
      const el = document.querySelector('videocall-room')!;
      Object.assign(el.style, { flex: 'none', minHeight: '0', width: `${width}px`, height: `${height}px` });
    },
    { width, height },
  );
}

/**
 * The decoded size of the one remote tile (the `<video>`'s frames), the layer
 * the page says it receives, and the height its publisher announced for that layer.
 */
export async function remoteTile(
  page: Page,
): Promise<{ height: number; layer: number | null; layerHeight: number | undefined } | undefined> {
  const [tile] = await readRemoteTiles(page);
  if (!tile || tile.lumaSpread < 8) return undefined;
  const { layer, layerHeight } = await page.evaluate(() => {
    const p = document.querySelector('videocall-room')!.roomClient?.participants.values().next().value;
    return { layer: p?.videoLayer ?? null, layerHeight: p ? p.videoLayers[p.videoLayer ?? -1]?.height : undefined };
  });
  return { height: tile.height, layer, layerHeight };
}

/**
 * Ada publishes her camera (no microphone); Grace only watches (no camera, no
 * microphone: less work on 2 cores), her element 1500×900 CSS pixels, large
 * enough for the 720p layer.
 */
export async function publisherAndLargeViewer(
  chromium: TestBrowser,
  url: string,
  room: string,
): Promise<{ ada: Page; grace: Page }> {
  const ada = await chromium.newPage(`${url}/?room=${room}&name=Ada&mic=off`);
  const grace = await chromium.newPage(`${url}/?room=${room}&name=Grace&mic=off&camera=off`);
  await grace.setViewportSize({ width: 1600, height: 1000 });
  await sizeElement(grace, 1500, 900);
  return { ada, grace };
}

/** Waits for the one remote tile to show live video `height` pixels tall. */
export function liveTile(page: Page, height: number): ReturnType<typeof remoteTile> {
  return waitFor(`a live ${height}p remote tile`, async () => {
    const tile = await remoteTile(page);
    return tile?.height === height ? tile : undefined;
  });
}
