import type { Page } from 'playwright-core';
import { readRemoteTiles } from './browser.js';

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
