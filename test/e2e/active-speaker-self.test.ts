/**
 * Active speaker for oneself: when the relay picks this page's own microphone
 * (Chromium's fake mic beeps; the simulated others are silent), the page's own
 * tile wears the speaking ring and sign, like anyone else's would, with text
 * that says it is you; the others' tiles do not.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { waitFor } from './browser.js';
import { simRoom } from './sim-room.js';

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
  const env = simRoom({
    room: 'e2e-self-speaker',
    count: 2,
    // Silent microphones: they are in the room's audio, never loud.
    sim: (i) => ({ name: `Quiet ${i}`, camera: true, mic: true }),
    query: 'name=Ada&camera=off',
  });

  it('lights our own tile, saying it is us, when the relay picks our microphone', async () => {
    // Read in one go, so the property and the tiles describe the same moment.
    const seen = await waitFor(
      'our own tile to wear the ring',
      async () => {
        const now = await rings(env.page);
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
    await env.page.evaluate(() => document.querySelector('videocall-room')!.setMicEnabled(false));
    const after = await waitFor(
      'our ring to go',
      async () => {
        const now = await rings(env.page);
        return now.activeSpeaker !== now.sessionId && !now.local.active ? now : undefined;
      },
      30_000,
      100,
    );
    expect(after.local.sign).toBeNull();
  }, 60_000);
});
