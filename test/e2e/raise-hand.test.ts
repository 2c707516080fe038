/** Raise hand between browsers: the button, the sign on the other page's tile, the `vc-hand` event. */
import { describe, expect, it } from 'vitest';
import { relayAndChromium, waitFor } from './browser.js';

describe('raise hand between browsers', () => {
  const env = relayAndChromium();

  it('shows a raised hand on the tile the others see, with its label, until it is lowered', async () => {
    const ada = await env.chromium.newPage(`${env.relay.url}/?room=hands&name=Ada&mic=off&camera=off`);
    const bob = await env.chromium.newPage(`${env.relay.url}/?room=hands&name=Bob&mic=off&camera=off`);
    await bob.evaluate(() => {
      const w = window as unknown as { __hands: unknown[] };
      w.__hands = [];
      document
        .querySelector('videocall-room')!
        .addEventListener('vc-hand', (e) => w.__hands.push({ id: e.participantId, raised: e.raised, local: e.local }));
    });
    await waitFor('Bob sees Ada', async () => {
      const list = await bob.evaluate(() => document.querySelector('videocall-room')!.participants);
      return list.some((p) => p.name === 'Ada') ? true : undefined;
    });
    const adaId = await ada.evaluate(() => document.querySelector('videocall-room')!.roomClient!.sessionId);
    const button = ada.locator('[part~="hand-button"]');
    expect(await button.getAttribute('aria-pressed')).toBe('false');
    await button.click();
    expect(await button.getAttribute('aria-pressed')).toBe('true');
    expect(await button.getAttribute('aria-label')).toBe('Lower hand');

    const sign = bob.locator('[part~="tile-remote"] [part~="hand-raised"]');
    await waitFor('the hand on Ada’s tile at Bob', async () => ((await sign.count()) === 1 ? true : undefined));
    expect(await sign.getAttribute('aria-label')).toBe('Hand raised');
    expect(await bob.evaluate(() => document.querySelector('videocall-room')!.participants[0]!.handRaised)).toBe(true);

    await ada.evaluate(() => document.querySelector('videocall-room')!.lowerHand());
    await waitFor('the hand gone at Bob', async () => ((await sign.count()) === 0 ? true : undefined));
    expect(await bob.evaluate(() => (window as unknown as { __hands: unknown[] }).__hands)).toEqual([
      { id: adaId, raised: true, local: false },
      { id: adaId, raised: false, local: false },
    ]);
    await ada.close();
    await bob.close();
  });
});
