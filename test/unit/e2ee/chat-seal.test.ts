/**
 * Chat sealed under sender keys: it opens for its recipients as sent, and a
 * relay can neither read it, pass it off as media (or media as chat), change
 * who it was addressed to, nor re-stamp it as someone else's.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { chatMetadata } from '../../../src/e2ee/chat-metadata.js';
import { deriveRoomSecret, type RoomSecret } from '../../../src/e2ee/key-exchange.js';
import { E2eeError } from '../../../src/e2ee/errors.js';
import { decodeChatContent, encodeChatContent } from '../../../src/protocol/index.js';
import { SimRelay, VIDEO_FRAME } from './relay-sim.js';

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    if (!(error instanceof E2eeError)) throw error;
    return error.code;
  }
}

const text = 'meet at the north gate';
const plain = new Uint8Array(encodeChatContent({ text }));

let secret: RoomSecret;
beforeAll(async () => {
  secret = await deriveRoomSecret('blue horse', 'standup');
});

async function three() {
  const relay = new SimRelay();
  const a = await relay.join('a', secret);
  const b = await relay.join('b', secret);
  const c = await relay.join('c', secret);
  return { a: a.e2ee, b: b.e2ee, c: c.e2ee };
}

describe('chat sealed under sender keys', () => {
  it('opens for the recipients as sent, and the ciphertext does not hold the words', async () => {
    const { a, b, c } = await three();
    const sealed = await a.encryptChat([], plain);
    expect(Buffer.from(sealed).includes(Buffer.from(text))).toBe(false);
    for (const peer of [b, c]) expect(decodeChatContent(await peer.decryptChat('a', [], sealed))).toEqual({ text });
    const data = new Uint8Array([1, 2, 3, 250]);
    const toB = await a.encryptChat(['b'], encodeChatContent({ data }));
    expect(decodeChatContent(await b.decryptChat('a', ['b'], toB))).toEqual({ data });
  });

  it('cannot be replayed: the same message opens once', async () => {
    const { a, b } = await three();
    const sealed = await a.encryptChat([], plain);
    await b.decryptChat('a', [], sealed);
    expect(await codeOf(b.decryptChat('a', [], sealed))).toBe('e2ee-replay');
  });

  it('cannot pass as a media frame, nor a media frame as chat (own metadata domain)', async () => {
    const { a, b } = await three();
    const sealed = await a.encryptChat([], plain);
    expect(await codeOf(b.decryptFrame('a', VIDEO_FRAME, sealed))).toBe('e2ee-decrypt-failed');
    const frame = await a.encryptFrame(VIDEO_FRAME, plain);
    expect(await codeOf(b.decryptChat('a', [], frame))).toBe('e2ee-decrypt-failed');
    // Both untouched still open where they belong: failures do not burn counters.
    expect(await b.decryptChat('a', [], sealed)).toEqual(plain);
    expect(await b.decryptFrame('a', VIDEO_FRAME, frame)).toEqual(plain);
    // The two domains can't produce the same bytes: chat metadata starts with its label.
    expect(new TextDecoder().decode(chatMetadata('a', []).subarray(0, 7))).toBe('vc-chat');
  });

  it('cannot be readdressed or re-stamped by the relay', async () => {
    const { a, b, c } = await three();
    const toB = await a.encryptChat(['b'], plain);
    // Widened to everyone, or to b and c: fails at b (and c).
    expect(await codeOf(b.decryptChat('a', [], toB))).toBe('e2ee-decrypt-failed');
    expect(await codeOf(c.decryptChat('a', ['b', 'c'], toB))).toBe('e2ee-decrypt-failed');
    // Re-stamped as b's: c looks it up under b's key and it fails.
    const all = await a.encryptChat([], plain);
    expect(await codeOf(c.decryptChat('b', [], all))).toBe('e2ee-decrypt-failed');
    expect(await b.decryptChat('a', ['b'], toB)).toEqual(plain);
    // Recipients in another order are the same recipients.
    const two = await a.encryptChat(['c', 'b'], plain);
    expect(await b.decryptChat('a', ['b', 'c'], two)).toEqual(plain);
  });
});
