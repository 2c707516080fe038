import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startRelay, type Relay } from '../../server/relay.js';
import { launchChromium, readRemoteTiles, waitFor, type TestBrowser } from './browser.js';

const ROOM = 'e2e-autoplay';

// Browsers allow sound without a gesture on pages that capture camera or mic, so the
// listeners here join with both off, under the autoplay policy real users have.
// Careful: every Playwright evaluation in a page counts as a user gesture, so a
// listener page is only looked into once its audio has already been blocked.
describe('a listener whose browser blocks autoplay', () => {
  let relay: Relay;
  let chromium: TestBrowser;

  /** Opens a receive-only page and waits, from outside the page, until its audio must have started. */
  async function joinListener(name: string): Promise<Page> {
    const before = relay.stats().participants;
    const page = await chromium.newPage(`${relay.url}/?room=${ROOM}&name=${name}&camera=off&mic=off`);
    await waitFor(`${name} to join`, async () => (relay.stats().participants > before ? true : undefined));
    // The first audio packet the page handles creates its playout. Wait until the relay
    // has delivered a few hundred media messages since the join, then leave the page time to read them.
    const mediaOut = () => relay.stats().messagesOut.media ?? 0;
    const delivered = mediaOut();
    await waitFor('media to reach the listener', async () => (mediaOut() > delivered + 300 ? true : undefined));
    await new Promise((r) => setTimeout(r, 1500));
    return page;
  }

  const hearButton = (page: Page) =>
    page.evaluate(() => !!document.querySelector('videocall-room')?.shadowRoot?.querySelector('[part~="hear-button"]'));

  async function speakerLevel(page: Page): Promise<number> {
    let loudest = 0;
    await waitFor(
      'the speaker to be heard',
      async () => {
        for (const tile of await readRemoteTiles(page)) loudest = Math.max(loudest, tile.audioLevel);
        return loudest > 0.01 ? true : undefined;
      },
      20_000,
      50,
    ).catch(() => undefined);
    return loudest;
  }

  beforeAll(async () => {
    relay = await startRelay({ host: '127.0.0.1', port: 0 });
    chromium = await launchChromium(['--autoplay-policy=document-user-activation-required']);
    await chromium.newPage(`${relay.url}/?room=${ROOM}&name=Speaker`);
  });

  afterAll(async () => {
    await chromium?.close();
    await relay?.close();
  });

  it('is offered a "click to hear" button, plays nothing, and hears the call after clicking it', async () => {
    const listener = await joinListener('Listener');
    expect(await hearButton(listener)).toBe(true);
    const button = listener.locator('videocall-room').locator('[part~="hear-button"]');
    expect(await button.textContent()).toMatch(/click to hear/i);
    const silent = await readRemoteTiles(listener);
    expect(silent.map((t) => t.audioLevel)).toEqual([0]);

    await button.click();
    await waitFor('the button to go', async () => ((await hearButton(listener)) ? undefined : true));
    expect(await speakerLevel(listener)).toBeGreaterThan(0.01);
  });

  it('also starts the sound when the person clicks anywhere else on the page', async () => {
    const listener = await joinListener('Clicker');
    expect(await hearButton(listener)).toBe(true);
    await listener.locator('header h1').click(); // the host page's own heading, outside the element
    await waitFor('the button to go', async () => ((await hearButton(listener)) ? undefined : true));
    expect(await speakerLevel(listener)).toBeGreaterThan(0.01);
  });
});
