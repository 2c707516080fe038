/**
 * A screen share with audio between two pages through a real relay. Headless
 * Chromium with its fake devices gives `getDisplayMedia({ audio: true })` a
 * "Fake audio" track (the same beeps as the fake microphone) beside the fake
 * screen; the sharer's microphone is off, so whatever the other page hears is
 * the share's audio.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startRelay, type Relay } from '../../server/relay.js';
import { launchChromium, waitFor, type TestBrowser } from './browser.js';

/** What Grace's page says of Ada: her share and its audio, her microphone's level, and who speaks. */
interface Heard {
  screen: boolean;
  screenAudio: boolean;
  screenAudioLevel: number;
  audioLevel: number;
  activeSpeaker: string | null;
  speakers: number;
}

function heard(page: Page): Promise<Heard | undefined> {
  return page.evaluate(() => {
    const el = document.querySelector('videocall-room')!;
    const p = el.participants[0];
    if (!p) return undefined;
    return {
      screen: p.screen,
      screenAudio: p.screenAudio,
      screenAudioLevel: p.screenAudioLevel,
      audioLevel: p.audioLevel,
      activeSpeaker: el.activeSpeaker,
      speakers: el.roomClient!.activeSpeakers.length,
    };
  });
}

describe('screen share with audio through a real relay', () => {
  let relay: Relay;
  let chromium: TestBrowser;
  let ada: Page;
  let grace: Page;

  beforeAll(async () => {
    relay = await startRelay({ host: '127.0.0.1', port: 0 });
    chromium = await launchChromium(['--auto-select-desktop-capture-source=Entire screen']);
    ada = await chromium.newPage(`${relay.url}/?room=e2e-screen-audio&name=Ada&mic=off&camera=off`);
    grace = await chromium.newPage(`${relay.url}/?room=e2e-screen-audio&name=Grace&mic=off&camera=off`);
    await waitFor(
      'both joined',
      async () =>
        (await grace.evaluate(() => document.querySelector('videocall-room')!.participants.length)) === 1
          ? true
          : undefined,
      60_000,
    );
  }, 90_000);

  afterAll(async () => {
    await chromium?.close();
    await relay?.close();
  });

  it('the share’s audio plays on the other page as its own stream; it is nobody speaking', async () => {
    // A real click: getDisplayMedia needs a user gesture.
    await ada.click('videocall-room >> [part~="screen-button"]');
    const sent = await waitFor('Ada sending the share’s audio', () =>
      ada.evaluate(() => {
        const share = document.querySelector('videocall-room')!.roomClient!.screenShare;
        const stats = share.audioStats;
        return stats && stats.packets > 0 ? { packets: stats.packets, label: share.audioTrack!.label } : undefined;
      }),
    );
    expect(sent.packets).toBeGreaterThan(0);

    // The fake audio beeps now and then: watch the played level of the share's stream for a while.
    let loudest = 0;
    const seen: Heard[] = [];
    await waitFor(
      'the share’s audio heard on Grace’s page',
      async () => {
        const now = await heard(grace);
        if (now) seen.push(now);
        loudest = Math.max(loudest, now?.screenAudioLevel ?? 0);
        return now?.screenAudio && loudest > 0.01 ? true : undefined;
      },
      30_000,
      50,
    );
    // Her microphone is off: no mic stream, no speaking, no active speaker, however loud the share.
    expect(seen.every((h) => h.audioLevel === 0 && h.activeSpeaker === null && h.speakers === 0)).toBe(true);
    const tile = await grace.evaluate(() =>
      document
        .querySelector('videocall-room')!
        .shadowRoot!.querySelector('[part~="tile-remote"]:not([part~="tile-screen"])')!
        .getAttribute('part'),
    );
    expect(tile).not.toContain('speaking');
    // The share's tile says it has sound.
    const sign = await grace.evaluate(
      () =>
        document
          .querySelector('videocall-room')!
          .shadowRoot!.querySelector('[part~="tile-screen"] [part~="indicator"][part~="screen-audio"]')
          ?.getAttribute('aria-label') ?? null,
    );
    expect(sign).toBe('With sound');
    // getStats() on both sides reports the share and its sound apart from camera and microphone (both off).
    const received = await waitFor('the share in Grace’s getStats()', async () => {
      const stats = await grace.evaluate(() => document.querySelector('videocall-room')!.getStats());
      const p = stats.participants[0];
      return p?.screen && p.screenAudio && (p.screenAudio.bitrateKbps ?? 0) > 0 && (p.screen.fps ?? 0) > 0
        ? p
        : undefined;
    });
    expect(received).toMatchObject({ video: null, audio: null });
    expect(received.screen!.width).toBeGreaterThan(0);
    expect(received.screenAudio).toMatchObject({ codec: 'opus' });
    expect(received.screenAudio!.jitterBufferMs).not.toBeNull();
    const local = (await ada.evaluate(() => document.querySelector('videocall-room')!.getStats())).local;
    expect(local).toMatchObject({ video: null, audio: null, screenAudio: { codec: 'opus', muted: false } });
    expect(local.screen!.bitrateKbps).toBeGreaterThan(0);
    expect(local.screenAudio!.bitrateKbps).toBeGreaterThan(0);
    console.log(
      `getStats: share received ${JSON.stringify(received.screen)}, its sound ${JSON.stringify(received.screenAudio)}`,
    );
    // The stats panel (from the settings panel) says it too: a row for the share and one for its sound.
    await grace.locator('[part~="settings-button"]').click();
    await grace.locator('[part~="stats-button"]').click();
    await grace.locator('videocall-stats-panel [part~="stats-table"]').first().waitFor();
    const panel = await waitFor('the share’s rows in the stats panel', async () => {
      const text = await grace.locator('videocall-stats-panel [part~="stats-panel"]').innerText();
      return text.includes('Screen share') && text.includes('Shared sound') ? text : undefined;
    });
    expect(panel).toMatch(/Screen share\s+\d+×\d+ · \d+ fps · \d+ kbit\/s/);
    const transport = await grace.evaluate(() => document.querySelector('videocall-room')!.transportInUse);
    console.log(`share audio over ${transport}: loudest played level on the other page ${loudest.toFixed(3)} (RMS)`);
  }, 60_000);

  it('stopping the share stops its audio on the other page', async () => {
    await ada.click('videocall-room >> [part~="screen-button"]');
    await waitFor('the share and its audio gone', async () => {
      const now = await heard(grace);
      return now && !now.screen && !now.screenAudio && now.screenAudioLevel === 0 ? true : undefined;
    });
    const ended = await ada.evaluate(() => document.querySelector('videocall-room')!.roomClient!.screenShare.hasAudio);
    expect(ended).toBe(false);
  }, 60_000);

  it("the browser's own stop (the video track ends) stops the audio with it", async () => {
    await ada.click('videocall-room >> [part~="screen-button"]');
    await waitFor('the share’s audio announced again', async () =>
      (await heard(grace))?.screenAudio ? true : undefined,
    );
    const audioTrack = await ada.evaluateHandle(
      () => document.querySelector('videocall-room')!.roomClient!.screenShare.audioTrack!,
    );
    await ada.evaluate(() => {
      const track = document.querySelector('videocall-room')!.roomClient!.screenShare.track!;
      track.stop();
      // stop() fires no 'ended' on the page's own track; the browser's bar does: do what it does.
      track.dispatchEvent(new Event('ended'));
    });
    await waitFor('the share’s audio gone', async () => {
      const now = await heard(grace);
      return now && !now.screenAudio && now.screenAudioLevel === 0 ? true : undefined;
    });
    expect(await audioTrack.evaluate((track) => track.readyState)).toBe('ended');
  }, 60_000);

  it('with end-to-end encryption (a passphrase) the share’s audio is decrypted and plays, over WebSocket too', async () => {
    // The WebSocket this time: the cases above ran over WebTransport (the share's audio in datagrams).
    const url = (name: string) =>
      `${relay.url}/?room=e2e-screen-audio-e2ee&name=${name}&mic=off&camera=off&transport=websocket#vc-key=correct%20horse`;
    const sharer = await chromium.newPage(url('Ada'));
    const listener = await chromium.newPage(url('Grace'));
    // Joining with a passphrase stretches it with scrypt first: slow on a loaded machine.
    await waitFor(
      'keys verified',
      async () => {
        const info = await listener.evaluate(() => document.querySelector('videocall-room')!.participants);
        return info.length === 1 && info[0]!.e2ee === 'verified' ? true : undefined;
      },
      45_000,
    );
    await sharer.click('videocall-room >> [part~="screen-button"]');
    let loudest = 0;
    await waitFor(
      'the decrypted share’s audio heard',
      async () => {
        const now = await heard(listener);
        loudest = Math.max(loudest, now?.screenAudioLevel ?? 0);
        return now?.screenAudio && loudest > 0.01 ? true : undefined;
      },
      30_000,
      50,
    );
    const encryption = await sharer.evaluate(() => document.querySelector('videocall-room')!.roomClient!.encryption);
    expect(encryption).toBe('passphrase');
    expect(await listener.evaluate(() => document.querySelector('videocall-room')!.transportInUse)).toBe('websocket');
    await sharer.close();
    await listener.close();
  }, 90_000);

  it('screen-audio="off" shares the picture only: no sound is asked for, sent or announced', async () => {
    const url = (name: string) =>
      `${relay.url}/?room=e2e-screen-no-audio&name=${name}&mic=off&camera=off&screen-audio=off`;
    const sharer = await chromium.newPage(url('Ada'));
    const viewer = await chromium.newPage(url('Grace'));
    await waitFor('both joined', async () =>
      (await viewer.evaluate(() => document.querySelector('videocall-room')!.participants.length)) === 1
        ? true
        : undefined,
    );
    await sharer.click('videocall-room >> [part~="screen-button"]');
    await waitFor('the share shown on the other page', async () => {
      const stats = await viewer.evaluate(() => document.querySelector('videocall-room')!.getStats());
      return (stats.participants[0]?.screen?.fps ?? 0) > 0 ? true : undefined;
    });
    const sent = await sharer.evaluate(() => {
      const share = document.querySelector('videocall-room')!.roomClient!.screenShare;
      return { sharing: share.sharing, hasAudio: share.hasAudio, audioTrack: share.audioTrack };
    });
    expect(sent).toEqual({ sharing: true, hasAudio: false, audioTrack: null });
    const seen = await heard(viewer);
    expect(seen).toMatchObject({ screen: true, screenAudio: false, screenAudioLevel: 0 });
    const stats = await viewer.evaluate(() => document.querySelector('videocall-room')!.getStats());
    expect(stats.participants[0]!.screenAudio).toBeNull();
    await sharer.close();
    await viewer.close();
  }, 90_000);
});
