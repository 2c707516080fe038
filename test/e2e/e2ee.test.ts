import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { WebSocket } from 'ws';
import { decodeEnvelope, encodeEnvelope, PROTOCOL_VERSION, TrackKind } from '../../src/protocol/index.js';
import { relayAndChromium, readRemoteTiles, waitFor, type TileLook } from './browser.js';
import type { Relay } from '../../server/relay.js';

/** A VP8 keyframe carries the start code 9d 01 2a after its 3-byte frame tag (RFC 6386 §9.1). */
function hasVp8StartCode(payload: Uint8Array): boolean {
  return payload.length > 6 && payload[3] === 0x9d && payload[4] === 0x01 && payload[5] === 0x2a;
}

/**
 * A participant that sends nothing and keeps every media frame the relay
 * forwards to it: what a curious relay (or anyone on its path) gets to see.
 */
class Observer {
  readonly frames: { kind: number; keyframe: boolean; payload: Uint8Array }[] = [];
  private constructor(private readonly socket: WebSocket) {}

  static async join(relay: Relay, room: string): Promise<Observer> {
    const socket = new WebSocket(`${relay.url.replace(/^http/, 'ws')}/ws`);
    socket.binaryType = 'nodebuffer';
    const observer = new Observer(socket);
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    socket.on('message', (data: Buffer) => {
      const env = decodeEnvelope(data);
      if (env.media?.payload) {
        observer.frames.push({ kind: env.media.kind ?? 0, keyframe: !!env.media.keyframe, payload: env.media.payload });
      }
    });
    socket.send(encodeEnvelope({ join: { protocolVersion: PROTOCOL_VERSION, room, name: 'Observer', state: {} } }));
    return observer;
  }

  videoKeyframes() {
    return this.frames.filter((f) => f.kind === TrackKind.VIDEO && f.keyframe);
  }

  close(): void {
    this.socket.close();
  }
}

const live = (tiles: TileLook[]) => tiles.filter((t) => t.width >= 160 && t.lumaSpread > 8);

async function tileNotice(page: Page, name: string): Promise<string> {
  return page.evaluate((who) => {
    const root = document.querySelector('videocall-room')!.shadowRoot!;
    const tile = [...root.querySelectorAll('[part~="tile-remote"]')].find((t) => t.getAttribute('aria-label') === who);
    return tile?.textContent?.replace(/\s+/g, ' ').trim() ?? '';
  }, name);
}

describe('end-to-end encryption between browsers through a real relay', () => {
  const env = relayAndChromium();

  it('without e2ee, the relay sees VP8 keyframes in the clear (the check below can find them)', async () => {
    const observer = await Observer.join(env.relay, 'plain');
    const pages = [
      await env.chromium.newPage(`${env.relay.url}/?room=plain&name=A&codec=vp8&mic=off`),
      await env.chromium.newPage(`${env.relay.url}/?room=plain&name=B&codec=vp8&mic=off`),
    ];
    await waitFor('plaintext keyframes at the observer', async () =>
      observer.videoKeyframes().length >= 2 ? true : undefined,
    );
    expect(observer.videoKeyframes().every((f) => hasVp8StartCode(f.payload))).toBe(true);
    observer.close();
    for (const page of pages) await page.close();
  });

  it('two pages with the same passphrase see each other; a wrong passphrase sees no picture; the relay sees no plaintext', async () => {
    const observer = await Observer.join(env.relay, 'secret');
    const ada = await env.chromium.newPage(
      `${env.relay.url}/?room=secret&name=Ada&codec=vp8&e2ee#vc-key=correct%20horse`,
    );
    const grace = await env.chromium.newPage(
      `${env.relay.url}/?room=secret&name=Grace&codec=vp8#vc-key=correct%20horse`,
    );

    const openedAt = Date.now();
    for (const [page, other] of [
      [ada, 'Grace'],
      [grace, 'Ada'],
    ] as const) {
      // Both pages stretch the passphrase with scrypt before joining, as Mallory below: slow on a loaded machine.
      await waitFor(
        `${other}'s decrypted picture`,
        async () => {
          const tiles = live(await readRemoteTiles(page));
          return tiles.some((t) => t.name === other) ? true : undefined;
        },
        45_000,
      );
      console.log(`[e2ee] ${other}'s decrypted picture seen ${Date.now() - openedAt} ms after the pages opened`);
      const info = await page.evaluate(() => document.querySelector('videocall-room')!.participants);
      expect(info.find((p) => p.name === other)?.e2ee).toBe('verified');
    }

    const mallory = await env.chromium.newPage(
      `${env.relay.url}/?room=secret&name=Mallory&codec=vp8#vc-key=wrong%20guess`,
    );
    const errors = await mallory.evaluateHandle(() => {
      const codes: string[] = [];
      document.querySelector('videocall-room')!.addEventListener('vc-error', (e) => codes.push(e.code));
      return codes;
    });
    // Joining with a passphrase stretches it with scrypt first: slow on a loaded machine.
    await waitFor(
      'Mallory to see both as undecryptable',
      async () => {
        const info = await mallory.evaluate(() => document.querySelector('videocall-room')!.participants);
        return info.length === 3 && info.filter((p) => p.e2ee === 'mismatch').length === 2 ? true : undefined;
      },
      45_000,
    );
    expect(await tileNotice(mallory, 'Ada')).toMatch(/can't decrypt/i);
    // Some seconds of frames later, still nothing to see: no live tile, nothing decoded.
    await new Promise((r) => setTimeout(r, 2000));
    expect(live(await readRemoteTiles(mallory))).toEqual([]);
    const decoded = await mallory.evaluate(() =>
      document.querySelector('videocall-room')!.participants.reduce((n, p) => n + p.framesDecoded, 0),
    );
    expect(decoded).toBe(0);
    expect(await errors.evaluate((codes) => codes.includes('e2ee-key-mismatch'))).toBe(true);
    // And the others see Mallory as mismatched, not as garbage.
    await waitFor('Ada to flag Mallory', async () => {
      const info = await ada.evaluate(() => document.querySelector('videocall-room')!.participants);
      return info.find((p) => p.name === 'Mallory')?.e2ee === 'mismatch' ? true : undefined;
    });

    // Everything the relay forwarded: video keyframes flowed, none in the clear.
    const keyframes = observer.videoKeyframes();
    expect(keyframes.length).toBeGreaterThan(0);
    expect(keyframes.filter((f) => hasVp8StartCode(f.payload))).toEqual([]);
    observer.close();
  });
});
