/**
 * Active speaker for oneself: when the relay picks this page's own microphone
 * (Chromium's fake mic beeps; the simulated others are silent), the page's own
 * tile wears the speaking ring and sign, like anyone else's would, with text
 * that says it is you; the others' tiles do not.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startRelay, type Relay } from '../../server/relay.js';
import { SimParticipant } from '../../cli/sim/index.js';
import { launchChromium, waitFor, type TestBrowser } from './browser.js';

interface Rings {
  activeSpeaker: string | null;
  sessionId: string;
  /** Our own tile: has the `active-speaker` part, and the sign's text. */
  local: { active: boolean; sign: string | null };
  /** Remote tiles with the `active-speaker` part. */
  remoteActive: string[];
}

function rings(page: Page): Promise<Rings> {
  return page.evaluate(() => {
    const el = document.querySelector('videocall-room')!;
    const root = el.shadowRoot!;
    const local = root.querySelector<HTMLElement>('[part~="tile-local"]');
    return {
      activeSpeaker: el.activeSpeaker,
      sessionId: el.roomClient?.sessionId ?? '',
      local: {
        active: !!local?.matches('[part~="active-speaker"]'),
        sign: local?.querySelector('[part~="speaking-indicator"]')?.getAttribute('title') ?? null,
      },
      remoteActive: [...root.querySelectorAll<HTMLElement>('[part~="tile-remote"][part~="active-speaker"]')].map(
        (t) => t.dataset.id ?? '',
      ),
    };
  });
}

describe('the active speaker ring on one’s own tile', () => {
  let relay: Relay;
  let chromium: TestBrowser;
  let page: Page;
  const sims: SimParticipant[] = [];

  beforeAll(async () => {
    relay = await startRelay({ host: '127.0.0.1', port: 0 });
    for (let i = 0; i < 2; i++) {
      // Silent microphones: they are in the room's audio, never loud.
      const sim = new SimParticipant({
        url: relay.wsUrl,
        room: 'e2e-self-speaker',
        name: `Quiet ${i}`,
        camera: true,
        mic: true,
      });
      await sim.join();
      sim.start();
      sims.push(sim);
    }
    chromium = await launchChromium();
    page = await chromium.newPage(`${relay.url}/?room=e2e-self-speaker&name=Ada&camera=off`);
    await waitFor(
      'the page to join',
      async () =>
        (await page.evaluate(() => document.querySelector('videocall-room')?.state)) === 'joined' ? true : undefined,
      60_000,
    );
  }, 120_000);

  afterAll(async () => {
    for (const sim of sims) sim.close();
    await chromium?.close();
    await relay?.close();
  });

  it('lights our own tile, saying it is us, when the relay picks our microphone', async () => {
    // Read in one go, so the property and the tiles describe the same moment.
    const seen = await waitFor(
      'our own tile to wear the ring',
      async () => {
        const now = await rings(page);
        return now.activeSpeaker !== null && now.activeSpeaker === now.sessionId && now.local.active ? now : undefined;
      },
      60_000,
      100,
    );
    expect(seen.local.sign).toBe('You are speaking');
    expect(seen.remoteActive).toEqual([]);
  }, 90_000);

  it('takes the ring off our tile once the relay no longer picks us (microphone turned off)', async () => {
    // Nothing more from our microphone: after its hold the relay drops us from the speakers, and the ring goes.
    await page.evaluate(() => document.querySelector('videocall-room')!.setMicEnabled(false));
    const after = await waitFor(
      'our ring to go',
      async () => {
        const now = await rings(page);
        return now.activeSpeaker !== now.sessionId && !now.local.active ? now : undefined;
      },
      30_000,
      100,
    );
    expect(after.local.sign).toBeNull();
  }, 60_000);
});
