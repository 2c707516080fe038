/**
 * Chat and app data between browsers through a real relay: typed into one
 * page's chat panel and read in another's, both ways; to one person only (a
 * third page gets nothing); and with E2EE, opaque to a listener on the relay (a
 * raw WebSocket participant in the same room).
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { WebSocket } from 'ws';
import { decodeEnvelope, encodeEnvelope, PROTOCOL_VERSION } from '../../src/protocol/index.js';
import { relayAndChromium, waitFor, type TestBrowser } from './browser.js';

interface Seen {
  from: string;
  fromName: string;
  text?: string;
  data?: number[];
  to: string[];
  at: number;
  encrypted: boolean;
}

/** Opens a call page that records every `vc-message` in `window.__seen`. */
async function callPage(chromium: TestBrowser, url: string): Promise<Page> {
  const page = await chromium.newPage(url);
  await page.evaluate(() => {
    const w = window as unknown as { __seen: unknown[] };
    w.__seen = [];
    document.querySelector('videocall-room')!.addEventListener('vc-message', (e) =>
      w.__seen.push({
        from: e.from,
        fromName: e.fromName,
        text: e.text,
        data: e.data ? [...e.data] : undefined,
        to: [...e.to],
        at: e.at,
        encrypted: e.encrypted,
      }),
    );
  });
  return page;
}

const seen = (page: Page): Promise<Seen[]> => page.evaluate(() => (window as unknown as { __seen: Seen[] }).__seen);

/** The page's participants by name, once it sees `count` of them. */
async function peers(page: Page, count: number): Promise<Map<string, string>> {
  return waitFor(`${count} participants`, async () => {
    const list = await page.evaluate(() => document.querySelector('videocall-room')!.participants);
    return list.length === count ? new Map(list.map((p) => [p.name, p.id])) : undefined;
  });
}

const sessionId = (page: Page): Promise<string> =>
  page.evaluate(() => document.querySelector('videocall-room')!.roomClient!.sessionId);

describe('chat between browsers through a real relay', () => {
  const env = relayAndChromium();

  it('chats both ways through the panel, with an unread badge until the panel is opened', async () => {
    const ada = await callPage(env.chromium, `${env.relay.url}/?room=talk&name=Ada&mic=off&camera=off`);
    const bob = await callPage(env.chromium, `${env.relay.url}/?room=talk&name=Bob&mic=off&camera=off`);
    await peers(ada, 1);
    await peers(bob, 1);

    // Ada opens her chat (keyboard focus lands in the message box), types, presses Enter.
    await ada.locator('[part~="chat-button"]').click();
    await ada.locator('[part~="chat-input"]').fill('Hello Bob, can you see my slides?');
    await ada.locator('[part~="chat-input"]').press('Enter');
    await waitFor('Ada’s own message in her panel', async () =>
      (await ada.locator('[part~="chat-own"] [part~="chat-text"]').count()) === 1 ? true : undefined,
    );

    // Bob's panel is closed: the badge says 1, also to screen readers.
    const badge = bob.locator('[part~="chat-button"] [part~="badge"]');
    await waitFor('the unread badge', async () => ((await badge.textContent()) === '1' ? true : undefined));
    expect(await bob.locator('[part~="chat-button"]').getAttribute('aria-label')).toMatch(/1 unread/);
    const [got] = await seen(bob);
    expect(got).toMatchObject({ fromName: 'Ada', text: 'Hello Bob, can you see my slides?', to: [], encrypted: false });
    expect(Math.abs(got!.at - Date.now())).toBeLessThan(10_000);

    // Bob opens it: the message is there, the badge gone; he answers with the Send button.
    await bob.locator('[part~="chat-button"]').click();
    expect(await bob.locator('[part~="chat-message"] [part~="chat-sender"]').first().textContent()).toBe('Ada');
    expect(await bob.locator('[part~="chat-text"]').first().textContent()).toBe('Hello Bob, can you see my slides?');
    expect(await badge.count()).toBe(0);
    await bob.locator('[part~="chat-input"]').fill('Yes, all good.');
    await bob.locator('[part~="chat-send"]').click();

    // Ada's panel is open: it shows the answer, no badge; her page got vc-message.
    await waitFor('Bob’s answer in Ada’s panel', async () => {
      const texts = await ada.locator('[part~="chat-text"]').allTextContents();
      return texts.includes('Yes, all good.') ? true : undefined;
    });
    expect(await ada.locator('[part~="chat-button"] [part~="badge"]').count()).toBe(0);
    expect((await seen(ada)).map((m) => m.text)).toEqual(['Yes, all good.']);
    await ada.close();
    await bob.close();
  });

  it('delivers to one person only: a third page gets neither the message nor the data', async () => {
    const ada = await callPage(env.chromium, `${env.relay.url}/?room=whisper&name=Ada&mic=off&camera=off`);
    const bob = await callPage(env.chromium, `${env.relay.url}/?room=whisper&name=Bob&mic=off&camera=off`);
    const cy = await callPage(env.chromium, `${env.relay.url}/?room=whisper&name=Cy&mic=off&camera=off`);
    const ids = await peers(ada, 2);
    await peers(bob, 2);
    await peers(cy, 2);
    const bobId = ids.get('Bob')!;

    // Through the panel: Bob chosen in "To".
    await ada.locator('[part~="chat-button"]').click();
    await ada.locator('[part~="chat-recipient"]').selectOption({ label: 'Bob' });
    await ada.locator('[part~="chat-input"]').fill('just between us');
    await ada.locator('[part~="chat-input"]').press('Enter');
    // Through the API: app data for Bob only.
    await ada.evaluate(
      (to) => document.querySelector('videocall-room')!.sendData(new Uint8Array([1, 2, 3]), { to }),
      bobId,
    );
    await waitFor('both at Bob', async () => ((await seen(bob)).length === 2 ? true : undefined));
    const atBob = await seen(bob);
    expect(atBob[0]).toMatchObject({ fromName: 'Ada', text: 'just between us', to: [bobId] });
    expect(atBob[1]).toMatchObject({ fromName: 'Ada', data: [1, 2, 3], to: [bobId] });
    expect(await ada.locator('[part~="chat-own"] [part~="chat-to"]').textContent()).toContain('Bob');

    // Then a message to everyone: once Cy has it, Cy would have had the private ones before it.
    await ada.evaluate(() => document.querySelector('videocall-room')!.sendMessage('hello everyone'));
    await waitFor('the public message at Cy', async () => ((await seen(cy)).length > 0 ? true : undefined));
    expect((await seen(cy)).map((m) => m.text)).toEqual(['hello everyone']);
    // The panel's module is fetched the first time it opens: wait for it to render, then read all of it.
    await cy.locator('[part~="chat-button"]').click();
    await cy.locator('[part~="chat-text"]').first().waitFor();
    expect(await cy.locator('[part~="chat-text"]').allTextContents()).toEqual(['hello everyone']);
    await waitFor('the public message at Bob', async () => ((await seen(bob)).length === 3 ? true : undefined));

    // A recipient not in the call is refused before anything is sent.
    const refused = await ada.evaluate(() =>
      document
        .querySelector('videocall-room')!
        .sendMessage('hi', { to: 'nobody' })
        .then(
          () => 'sent',
          (e: { code: string }) => e.code,
        ),
    );
    expect(refused).toBe('invalid-argument');
    for (const page of [ada, bob, cy]) await page.close();
  });

  it('with E2EE, a listener on the relay sees only ciphertext, and the recipients read it', async () => {
    const secret = 'the eagle lands at midnight';
    const chats: { bytes: Buffer; content: string }[] = [];
    const socket = new WebSocket(`${env.relay.url.replace(/^http/, 'ws')}/ws`);
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    socket.on('message', (data: Buffer) => {
      const env = decodeEnvelope(data);
      if (env.chat) chats.push({ bytes: Buffer.from(data), content: env.chat.content ?? '' });
    });
    socket.send(
      encodeEnvelope({ join: { protocolVersion: PROTOCOL_VERSION, room: 'sealed', name: 'Listener', state: {} } }),
    );
    // Alive for the relay's heartbeat check (the pages' key exchange takes a while on a busy machine).
    const heartbeat = setInterval(() => socket.send(encodeEnvelope({ ping: { time: Date.now() } })), 2000);
    try {
      const ada = await callPage(
        env.chromium,
        `${env.relay.url}/?room=sealed&name=Ada&mic=off&camera=off#vc-key=blue%20horse`,
      );
      const bob = await callPage(
        env.chromium,
        `${env.relay.url}/?room=sealed&name=Bob&mic=off&camera=off#vc-key=blue%20horse`,
      );
      await waitFor('Ada and Bob verified', async () => {
        const info = await ada.evaluate(() => document.querySelector('videocall-room')!.participants);
        return info.find((p) => p.name === 'Bob')?.e2ee === 'verified' ? true : undefined;
      });
      const adaId = await sessionId(ada);
      await ada.evaluate((text) => document.querySelector('videocall-room')!.sendMessage(text), secret);
      await ada.evaluate(() =>
        document.querySelector('videocall-room')!.sendData(new TextEncoder().encode('{"reaction":"clap-clap"}')),
      );
      await waitFor('both at Bob', async () => ((await seen(bob)).length === 2 ? true : undefined));
      const atBob = await seen(bob);
      expect(atBob[0]).toMatchObject({ from: adaId, text: secret, encrypted: true });
      expect(Buffer.from(atBob[1]!.data!).toString()).toBe('{"reaction":"clap-clap"}');
      expect(atBob[1]!.encrypted).toBe(true);

      await waitFor('both at the listener', async () => (chats.length >= 2 ? true : undefined));
      for (const chat of chats) {
        expect(chat.content).toBe('sealed');
        expect(chat.bytes.includes(Buffer.from(secret))).toBe(false);
        expect(chat.bytes.includes(Buffer.from('clap-clap'))).toBe(false);
        expect(chat.bytes.includes(Buffer.from('eagle'))).toBe(false);
      }
      // The listener holds no key: the page's chat shows nothing it could have forged in clear either.
      socket.send(encodeEnvelope({ chat: { text: 'forged in clear' } }));
      await new Promise((r) => setTimeout(r, 1000));
      expect((await seen(bob)).map((m) => m.text)).not.toContain('forged in clear');
      await ada.close();
      await bob.close();
    } finally {
      clearInterval(heartbeat);
      socket.close();
    }
  });
});
