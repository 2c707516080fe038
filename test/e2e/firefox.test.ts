/**
 * Firefox (Debian's firefox-esr: WebCodecs, WebTransport, no MediaStreamTrackProcessor, so the
 * camera is read from a <video>) in a call with Chromium through a real relay: each sees the
 * other's live picture, chat crosses both ways, and with a passphrase the keys verify across the
 * two browsers' crypto. Firefox here has no sound server, so audio is not checked (LAB-NOTES).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page as FirefoxPage } from 'puppeteer-core';
import type { Page } from 'playwright-core';
import { relayAndChromium, waitFor } from './browser.js';
import { firefoxPage, hasFirefox, launchFirefox, pictureMoves, type AnyPage } from './firefox.js';

const participantsOf = (page: AnyPage) =>
  (page as FirefoxPage).evaluate(() =>
    document.querySelector('videocall-room')!.participants.map((p) => ({ name: p.name, e2ee: p.e2ee })),
  );

/** Records the element's `vc-message` texts and its join's transport, from before it joins. */
function recordInPage(): void {
  const w = window as unknown as { vcTexts: string[]; vcTransport: string };
  w.vcTexts = [];
  document.addEventListener('vc-message', (e) => w.vcTexts.push((e as Event & { text?: string }).text ?? ''));
  document.addEventListener('vc-joined', (e) => (w.vcTransport = (e as Event & { transport: string }).transport));
}

const textsOf = (page: AnyPage): Promise<string[]> =>
  (page as FirefoxPage).evaluate(() => (window as unknown as { vcTexts: string[] }).vcTexts);

describe.skipIf(!hasFirefox())('Firefox and Chromium in one call through a real relay', () => {
  const env = relayAndChromium();
  let firefox: Browser;

  beforeAll(async () => {
    firefox = await launchFirefox();
    await env.chromium.context.addInitScript(recordInPage);
  });

  afterAll(async () => {
    await firefox?.close();
  });

  /** Fiona in Firefox and Chris in Chromium, in `room`; `extra` goes on both URLs. */
  async function pair(room: string, extra = ''): Promise<{ fiona: FirefoxPage; chris: Page }> {
    const fiona = await firefoxPage(firefox, `${env.relay.url}/?room=${room}&name=Fiona${extra}`, recordInPage);
    const chris = await env.chromium.newPage(`${env.relay.url}/?room=${room}&name=Chris${extra}`);
    return { fiona, chris };
  }

  it('shows each browser the other one’s live picture, and carries chat both ways', async () => {
    const { fiona, chris } = await pair('fx');
    await pictureMoves(chris, 'Fiona', true);
    await pictureMoves(fiona, 'Chris');
    const transport = await fiona.evaluate(() => (window as unknown as { vcTransport: string }).vcTransport);
    console.log(`[firefox] joined over ${transport}`);
    expect(['webtransport', 'websocket']).toContain(transport);
    // Firefox runs the transport in the media worker too (WebTransport and WebSocket both work in workers).
    const offThread = await fiona.evaluate(
      () => document.querySelector('videocall-room')!.roomClient?.transport?.offThread === true,
    );
    expect(offThread).toBe(true);

    await fiona.evaluate(() => document.querySelector('videocall-room')!.sendMessage('hello from Firefox'));
    await chris.evaluate(() => document.querySelector('videocall-room')!.sendMessage('hello from Chromium'));
    await waitFor('Chris to read Fiona', async () =>
      (await textsOf(chris)).includes('hello from Firefox') ? true : undefined,
    );
    await waitFor('Fiona to read Chris', async () =>
      (await textsOf(fiona)).includes('hello from Chromium') ? true : undefined,
    );
    await fiona.close();
    await chris.close();
  });

  it('with a passphrase: keys verify across the two browsers and each decrypts the other’s picture', async () => {
    const { fiona, chris } = await pair('fx-sealed', '#vc-key=firefox-and-chromium');
    await pictureMoves(chris, 'Fiona', true);
    await pictureMoves(fiona, 'Chris');
    expect(await participantsOf(fiona)).toEqual([{ name: 'Chris', e2ee: 'verified' }]);
    expect(await participantsOf(chris)).toEqual([{ name: 'Fiona', e2ee: 'verified' }]);
    await fiona.close();
    await chris.close();
  });
});
