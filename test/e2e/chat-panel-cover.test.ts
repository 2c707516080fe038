/**
 * An open side panel (chat, People) covers the remote video under it: what a
 * person sees there (a real screenshot of the composited page, not the DOM) is
 * the panel's flat background, not the moving picture of the tile beneath.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelay, type Relay } from '../../server/relay.js';
import { launchChromium, waitFor, type TestBrowser } from './browser.js';
import { lookOf } from './screen-look.js';

describe('side panels over the remote video', () => {
  let relay: Relay;
  let chromium: TestBrowser;

  beforeAll(async () => {
    relay = await startRelay({ host: '127.0.0.1', port: 0 });
    chromium = await launchChromium();
  });

  afterAll(async () => {
    await chromium?.close();
    await relay?.close();
  });

  const panels = [
    { name: 'chat', button: 'chat-button', tag: 'videocall-chat-panel' },
    { name: 'People', button: 'people-button', tag: 'videocall-people-panel' },
  ];
  for (const { name, button, tag } of panels)
    for (const theme of ['dark', 'light'] as const) {
      it(`the ${name} panel covers it fully (${theme} theme): the screen there is the panel, flat, not the video`, async () => {
        const room = `cover-${button}-${theme}`;
        const ada = await chromium.newPage(`${relay.url}/?room=${room}&name=Ada&mic=off&camera=off`);
        const bob = await chromium.newPage(`${relay.url}/?room=${room}&name=Bob&mic=off`);
        await ada.evaluate((t) => document.querySelector('videocall-room')!.setAttribute('theme', t), theme);
        // Bob's camera is decoded and shown on Ada's page.
        await waitFor(
          'Bob’s video on Ada’s page',
          async () =>
            (await ada.evaluate(() => document.querySelector('videocall-room')!.participants[0]?.framesDecoded ?? 0)) >
            10
              ? true
              : undefined,
          40_000, // two pages encoding and decoding on a busy machine
        );
        const tile = ada.locator('[part~="tile-remote"] [part~="video"]');
        const tileBox = (await tile.boundingBox())!;
        // The tile alone, before the panel opens: a live camera picture, far from flat. Chromium's fake
        // camera sweeps a wedge round a flat field: at some moments the wedge is thin and the picture
        // nearly flat, so it is looked at until the wedge has grown (a few frames), not just once.
        let before = await lookOf(ada, tileBox);
        for (let i = 0; i < 10 && before.spread <= 10; i++) {
          await new Promise((r) => setTimeout(r, 200));
          before = await lookOf(ada, tileBox);
        }
        expect(before.spread).toBeGreaterThan(10);

        await ada.locator(`[part~="${button}"]`).click();
        const panel = ada.locator(tag);
        await panel.waitFor();
        const panelBox = (await panel.boundingBox())!;
        // The part of the panel over the remote tile, below its first lines (no messages; two people).
        const x = Math.max(panelBox.x, tileBox.x) + 8;
        const right = Math.min(panelBox.x + panelBox.width, tileBox.x + tileBox.width) - 8;
        const y = panelBox.y + panelBox.height * 0.3;
        const clip = { x, y, width: right - x, height: panelBox.height * 0.3 };
        expect(clip.width, 'the panel does not lie over the remote tile').toBeGreaterThan(40);

        // Hit testing: the panel is what is at those points.
        const onTop = await ada.evaluate(
          ({ points }) => {
            const root = document.querySelector('videocall-room')!.shadowRoot!;
            return points.map(([px, py]) => root.elementFromPoint(px!, py!)?.localName ?? null);
          },
          {
            points: [
              [clip.x + clip.width / 2, clip.y + clip.height / 2],
              [panelBox.x + panelBox.width / 2, panelBox.y + panelBox.height / 2],
            ],
          },
        );
        expect(onTop).toEqual([tag, tag]);

        // What is painted: for a second, the region stays flat (the video moves beneath it).
        for (let i = 0; i < 4; i++) {
          const look = await lookOf(ada, clip);
          expect(look.range, `the video shows through the panel (${JSON.stringify(look)})`).toBeLessThanOrEqual(2);
          await ada.waitForTimeout(250);
        }
        await ada.close();
        await bob.close();
      }, 60_000);
    }
});
