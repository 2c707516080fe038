/**
 * The speaking ring is seen over the video: what a person sees at the edge of
 * a talker's tile (a real screenshot of the composited page) is the ring's
 * colour while the relay picks them as the active speaker, and their picture
 * again once it no longer does. (The ring used to be an inset shadow on the
 * tile, which the video covered: only tiles without video showed it.)
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { relayAndChromium, waitFor } from './browser.js';
import { lookOf } from './screen-look.js';

const RING = 'rgb(255, 0, 0)';

/** Whether Bob's tile on `page` wears the active speaker's ring (its part says so). */
function ringed(page: Page): Promise<boolean> {
  return page.evaluate(
    () =>
      !!document
        .querySelector('videocall-room')!
        .shadowRoot!.querySelector('[part~="tile-remote"][part~="active-speaker"]'),
  );
}

describe('the speaking ring', () => {
  const env = relayAndChromium();

  it('is painted over the talker’s video, and goes when they stop', async () => {
    const room = `ring-${Date.now().toString(36)}`;
    const ada = await env.chromium.newPage(`${env.relay.url}/?room=${room}&name=Ada&mic=off&camera=off`);
    // Bob's fake microphone beeps: the relay picks him as the active speaker.
    const bob = await env.chromium.newPage(`${env.relay.url}/?room=${room}&name=Bob`);
    await ada.evaluate(
      (ring) => document.querySelector('videocall-room')!.style.setProperty('--vc-speaking', ring),
      RING,
    );
    await waitFor(
      'Bob’s video on Ada’s page, with the ring',
      async () =>
        (await ada.evaluate(() => document.querySelector('videocall-room')!.participants[0]?.framesDecoded ?? 0)) >
          10 && (await ringed(ada))
          ? true
          : undefined,
      40_000,
    );
    const box = (await ada.locator('[part~="tile-remote"]').boundingBox())!;
    // A strip along the tile's left edge, inside the ring's 4 px, away from the corners and the name bar.
    const strip = { x: box.x + 1, y: box.y + box.height * 0.3, width: 2, height: box.height * 0.3 };
    // The video under the strip covers the whole tile.
    const video = (await ada.locator('[part~="tile-remote"] [part~="video"]').boundingBox())!;
    expect(video.x).toBeLessThanOrEqual(strip.x);
    // Bob's microphone beeps now and then, and his ring follows (a 120 ms fade each way): look until it is seen whole.
    const red = (look: { mean: [number, number, number] }) =>
      look.mean[0] > 200 && look.mean[1] < 60 && look.mean[2] < 60;
    const looks: { mean: [number, number, number] }[] = [];
    for (let i = 0; i < 40 && !looks.some(red); i++) {
      if (await ringed(ada)) looks.push(await lookOf(ada, strip));
      await ada.waitForTimeout(100);
    }
    expect(looks.some(red), `the ring is not seen over the video: ${JSON.stringify(looks.map((l) => l.mean))}`).toBe(
      true,
    );

    // Bob goes quiet: after its hold the relay drops him, and the edge of his tile is his picture again.
    await bob.evaluate(() => document.querySelector('videocall-room')!.setMicEnabled(false));
    await waitFor('the ring to go', async () => ((await ringed(ada)) ? undefined : true), 30_000, 100);
    await ada.waitForTimeout(300); // the ring fades out over 120 ms
    const off = await lookOf(ada, strip);
    expect(red(off), `the ring stayed: ${JSON.stringify(off)}`).toBe(false);
    await ada.close();
    await bob.close();
  }, 90_000);
});
