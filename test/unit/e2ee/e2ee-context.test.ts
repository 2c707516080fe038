import { beforeAll, describe, expect, it } from 'vitest';
import { nobleAesGcm, type AeadProvider } from '../../../src/e2ee/aead.js';
import { E2eeContext } from '../../../src/e2ee/e2ee-context.js';
import { E2eeError } from '../../../src/e2ee/errors.js';
import type { PeerSecurity } from '../../../src/e2ee/events.js';
import {
  deriveRoomSecret,
  PairHandshake,
  unwrapSenderKey,
  wrapSenderKey,
  type RoomSecret,
} from '../../../src/e2ee/key-exchange.js';
import { mediaFrameMetadata } from '../../../src/e2ee/media-metadata.js';
import type { MediaFrameFields } from '../../../src/e2ee/media-metadata.js';
import { SenderKeys } from '../../../src/e2ee/sender-keys.js';
import { parseSFrameHeader } from '../../../src/e2ee/sframe-header.js';
import { flipBit } from './helpers.js';
import { SimRelay, VIDEO_FRAME, type Routed } from './relay-sim.js';

const payload = (n: number, size = 300) => new Uint8Array(size).map((_, i) => (i * 7 + n) & 0xff);

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    if (!(error instanceof E2eeError)) throw error;
    return error.code;
  }
}

let secret: RoomSecret;
let wrongSecret: RoomSecret;
beforeAll(async () => {
  [secret, wrongSecret] = await Promise.all([
    deriveRoomSecret('blue horse', 'standup'),
    deriveRoomSecret('blue horses', 'standup'),
  ]);
});

describe('E2eeContext: exchanging keys', () => {
  it('without a passphrase: keys flow, both sides show the same safety code, unverified until confirmed', async () => {
    const relay = new SimRelay();
    const a = await relay.join('a');
    const b = await relay.join('b');
    const ab = a.e2ee.securityOf('b');
    const ba = b.e2ee.securityOf('a');
    expect([ab.status, ba.status]).toEqual(['unverified', 'unverified']);
    expect(ab.safetyCode).toMatch(/^\d{4} \d{4}$/);
    expect(ab.safetyCode).toBe(ba.safetyCode);
    expect(a.e2ee.confirmSafetyCode('b')).toBe(true);
    expect(a.e2ee.securityOf('b').status).toBe('verified');
    expect(a.e2ee.confirmSafetyCode('b')).toBe(false);

    const ct = await a.e2ee.encryptFrame(VIDEO_FRAME, payload(1));
    expect(await b.e2ee.decryptFrame('a', VIDEO_FRAME, ct)).toEqual(payload(1));
  });

  it('with the same passphrase: both sides verified, media flows', async () => {
    const relay = new SimRelay();
    const a = await relay.join('a', secret);
    const b = await relay.join('b', secret);
    expect(a.e2ee.passphraseProtected).toBe(true);
    expect(a.e2ee.securityOf('b').status).toBe('verified');
    expect(b.e2ee.securityOf('a').status).toBe('verified');
    const ct = await b.e2ee.encryptFrame(VIDEO_FRAME, payload(2));
    expect(await a.e2ee.decryptFrame('b', VIDEO_FRAME, ct)).toEqual(payload(2));
  });

  it('derives the passphrase itself in create()', async () => {
    const sent: unknown[] = [];
    const e2ee = await E2eeContext.create({
      room: 'standup',
      sessionId: 'x',
      passphrase: ' blue horse ',
      send: (m) => sent.push(m),
    });
    expect(e2ee.passphraseProtected).toBe(true);
    expect(() => new E2eeContext({ room: 'standup', sessionId: 'x', passphrase: 'p', send: () => {} })).toThrow(
      E2eeError,
    );
  });

  it('asks for a keyframe once our key reaches a newcomer', async () => {
    const relay = new SimRelay();
    const a = await relay.join('a');
    await relay.join('b');
    expect(a.keyframesNeeded).toEqual(['peer-keyed']);
  });

  it('with different passphrases: both sides see e2ee-key-mismatch and cannot decrypt each other', async () => {
    const relay = new SimRelay();
    const a = await relay.join('a', secret);
    const b = await relay.join('b', wrongSecret);
    expect(a.e2ee.securityOf('b').status).toBe('mismatch');
    expect(b.e2ee.securityOf('a').status).toBe('mismatch');
    expect(a.errors.map((e) => e.error.code)).toEqual(['e2ee-key-mismatch']);
    expect(b.errors[0]?.peerId).toBe('a');
    expect(relay.count('share', 'a', 'b') + relay.count('share', 'b', 'a')).toBe(0);
    const ct = await a.e2ee.encryptFrame(VIDEO_FRAME, payload(1));
    expect(await codeOf(b.e2ee.decryptFrame('a', VIDEO_FRAME, ct))).toBe('e2ee-key-mismatch');
  });

  it('refuses frames from a peer whose key exchange has not finished', async () => {
    const relay = new SimRelay();
    relay.intercept = () => []; // the relay delivers no key exchange at all
    const a = await relay.join('a');
    const b = await relay.join('b');
    expect(a.e2ee.securityOf('b')).toEqual<PeerSecurity>({ peerId: 'b', status: 'pending', safetyCode: null });
    const ct = await a.e2ee.encryptFrame(VIDEO_FRAME, payload(1));
    expect(await codeOf(b.e2ee.decryptFrame('a', VIDEO_FRAME, ct))).toBe('e2ee-unknown-key');
  });

  it('ignores key-exchange messages for someone else, out of turn or from itself', async () => {
    const relay = new SimRelay();
    const a = await relay.join('a');
    const bogus = { target: 'a', step: 'reveal' as const, data: new Uint8Array(32), mac: new Uint8Array(0), kid: 0n };
    // From '0' (it sorts first, so it should commit before revealing): a reveal out of turn.
    expect(() => a.e2ee.receiveKeyExchange('0', bogus)).not.toThrow();
    expect(() => a.e2ee.receiveKeyExchange('a', bogus)).not.toThrow();
    expect(() => a.e2ee.receiveKeyExchange('b', { ...bogus, target: 'c' })).not.toThrow();
    expect(() => a.e2ee.receiveKeyExchange('b', { ...bogus, step: 'share', data: new Uint8Array(44) })).not.toThrow();
    expect(() => a.e2ee.receiveKeyExchange('b', { ...bogus, step: 'request', data: new Uint8Array(0) })).not.toThrow();
    expect(a.errors).toEqual([]);
  });

  it('drops key-exchange messages of the wrong size for their step before the handshake sees them', async () => {
    const relay = new SimRelay();
    // The relay cuts a byte off a's commitment: b must not answer it, nor hold it against a later reveal.
    relay.intercept = (r) => [
      r.message.step === 'commit' ? { ...r, message: { ...r.message, data: r.message.data.subarray(1) } } : r,
    ];
    const a = await relay.join('a');
    const b = await relay.join('b');
    expect(relay.count('commit', 'a', 'b')).toBe(1);
    expect(relay.count('reveal', 'b', 'a')).toBe(0);
    expect(b.e2ee.securityOf('a').status).toBe('pending');
    expect(a.e2ee.securityOf('b').status).toBe('pending');
    expect([...a.errors, ...b.errors]).toEqual([]);
  });
});

describe('E2eeContext: what the relay can and cannot do to frames', () => {
  async function twoPeople() {
    const relay = new SimRelay();
    const a = await relay.join('a', secret);
    const b = await relay.join('b', secret);
    const c = await relay.join('c', secret);
    return { relay, a: a.e2ee, b: b.e2ee, c: c.e2ee };
  }

  it('cannot change any routing header field: the frame fails to decrypt', async () => {
    const { a, b } = await twoPeople();
    const changes: MediaFrameFields[] = [
      { kind: 3 },
      { codec: 4 },
      { keyframe: true },
      { audioLevel: 0 },
      { sequence: 8 },
      { timestamp: 1_000_001 },
      { layer: 1 },
      { width: 640 },
      { height: 360 },
    ];
    for (const change of changes) {
      const ct = await a.encryptFrame(VIDEO_FRAME, payload(1));
      expect(await codeOf(b.decryptFrame('a', { ...VIDEO_FRAME, ...change }, ct)), JSON.stringify(change)).toBe(
        'e2ee-decrypt-failed',
      );
      // The untouched frame still decrypts: a failed attempt does not burn its counter.
      expect(await b.decryptFrame('a', VIDEO_FRAME, ct)).toEqual(payload(1));
    }
  });

  it('cannot re-stamp a frame as another participant’s', async () => {
    const { a, b, c } = await twoPeople();
    // b's key has the same KID as a's: c looks the frame up under b and it fails authentication.
    expect(b.currentKid).toBe(a.currentKid);
    const ct = await a.encryptFrame(VIDEO_FRAME, payload(1));
    expect(await codeOf(c.decryptFrame('b', VIDEO_FRAME, ct))).toBe('e2ee-decrypt-failed');
    expect(await c.decryptFrame('a', VIDEO_FRAME, ct)).toEqual(payload(1));
  });

  it('cannot change any byte of the SFrame header or the payload', async () => {
    const { a, b } = await twoPeople();
    const ct = await a.encryptFrame(VIDEO_FRAME, payload(1, 64));
    const codes = new Set<string>();
    for (let i = 0; i < ct.length; i++) {
      for (const bit of [0, 7]) {
        const code = await codeOf(b.decryptFrame('a', VIDEO_FRAME, flipBit(ct, i, bit)));
        expect(code, `byte ${i} bit ${bit}`).not.toBe('ok');
        codes.add(code);
      }
    }
    // Header changes give another KID (no such key) or a malformed header; the rest fail authentication.
    expect([...codes].every((c) => ['e2ee-decrypt-failed', 'e2ee-unknown-key', 'e2ee-malformed'].includes(c))).toBe(
      true,
    );
    expect(await codeOf(b.decryptFrame('a', VIDEO_FRAME, ct.subarray(0, ct.length - 1)))).toBe('e2ee-decrypt-failed');
    expect(await codeOf(b.decryptFrame('a', VIDEO_FRAME, ct.subarray(0, 1)))).toBe('e2ee-malformed');
    expect(await codeOf(b.decryptFrame('a', VIDEO_FRAME, new Uint8Array(0)))).toBe('e2ee-malformed');
    expect(await b.decryptFrame('a', VIDEO_FRAME, ct)).toEqual(payload(1, 64));
  });

  it('cannot replay a frame', async () => {
    const { a, b } = await twoPeople();
    const ct = await a.encryptFrame(VIDEO_FRAME, payload(1));
    expect(await b.decryptFrame('a', VIDEO_FRAME, ct)).toEqual(payload(1));
    expect(await codeOf(b.decryptFrame('a', VIDEO_FRAME, ct))).toBe('e2ee-replay');
  });

  it('may reorder frames within the window, not beyond it', async () => {
    const { a, b } = await twoPeople();
    const cts = [];
    for (let i = 0; i < 140; i++) cts.push(await a.encryptFrame(VIDEO_FRAME, payload(i, 16)));
    expect(await b.decryptFrame('a', VIDEO_FRAME, cts[5]!)).toEqual(payload(5, 16));
    expect(await b.decryptFrame('a', VIDEO_FRAME, cts[1]!)).toEqual(payload(1, 16));
    expect(await b.decryptFrame('a', VIDEO_FRAME, cts[139]!)).toEqual(payload(139, 16));
    expect(await b.decryptFrame('a', VIDEO_FRAME, cts[12]!)).toEqual(payload(12, 16)); // 139 − 12 = 127: inside
    expect(await codeOf(b.decryptFrame('a', VIDEO_FRAME, cts[11]!))).toBe('e2ee-replay'); // 128 behind: outside
  });

  it('simulcast: layers with the same sequence numbers each decrypt (replay is keyed on the SFrame counter), and a layer cannot be relabelled', async () => {
    const { a, b, c } = await twoPeople();
    // Three layers of 30 frames, encoded as a sender does: each camera frame once per layer, sequences per layer.
    const sent: { frame: MediaFrameFields; ct: Uint8Array }[] = [];
    for (let seq = 0; seq < 30; seq++) {
      for (const [layer, width, height] of [
        [0, 1280, 720],
        [1, 640, 360],
        [2, 320, 180],
      ] as const) {
        const frame = { ...VIDEO_FRAME, sequence: seq, layer, width, height, keyframe: seq === 0 };
        sent.push({ frame, ct: await a.encryptFrame(frame, payload(seq * 3 + layer, 32)) });
      }
    }
    // b receives layer 1 only; c receives layer 2 and is switched to layer 0 at frame 15, as the relay does.
    for (const { frame, ct } of sent.filter((f) => f.frame.layer === 1))
      expect(await b.decryptFrame('a', frame, ct)).toEqual(payload(frame.sequence! * 3 + 1, 32));
    const forC = sent.filter((f) => (f.frame.sequence! < 15 ? f.frame.layer === 2 : f.frame.layer === 0));
    for (const { frame, ct } of forC)
      expect(await c.decryptFrame('a', frame, ct)).toEqual(payload(frame.sequence! * 3 + frame.layer!, 32));
    // A relay that relabels a 180p frame as the 720p layer (same sequence) is caught.
    const small = sent.find((f) => f.frame.layer === 2 && f.frame.sequence === 29)!;
    expect(await codeOf(b.decryptFrame('a', { ...small.frame, layer: 0 }, small.ct))).toBe('e2ee-decrypt-failed');
  });

  it('returns frames in the order they were given, even when the cipher finishes out of order', async () => {
    // An AES-GCM whose first operations are the slowest.
    let calls = 0;
    const slowFirst: AeadProvider = {
      name: 'slow-first',
      async importKey(raw) {
        const inner = await nobleAesGcm.importKey(raw);
        const delay = () => new Promise((r) => setTimeout(r, Math.max(0, 30 - 3 * calls++)));
        return {
          seal: async (n, aad, pt) => (await delay(), inner.seal(n, aad, pt)),
          open: async (n, aad, ct) => (await delay(), inner.open(n, aad, ct)),
        };
      },
    };
    const relay = new SimRelay('standup', slowFirst);
    const a = (await relay.join('a')).e2ee;
    const b = (await relay.join('b')).e2ee;
    const order: number[] = [];
    const sent = await Promise.all(
      Array.from({ length: 8 }, (_, i) => a.encryptFrame(VIDEO_FRAME, payload(i, 8)).then((ct) => (order.push(i), ct))),
    );
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const received: number[] = [];
    await Promise.all(sent.map((ct, i) => b.decryptFrame('a', VIDEO_FRAME, ct).then(() => received.push(i))));
    expect(received).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('refuses everything once closed', async () => {
    const { a, b } = await twoPeople();
    const ct = await a.encryptFrame(VIDEO_FRAME, payload(1));
    b.close();
    expect(await codeOf(b.decryptFrame('a', VIDEO_FRAME, ct))).toBe('e2ee-invalid-state');
    expect(await codeOf(b.encryptFrame(VIDEO_FRAME, payload(1)))).toBe('e2ee-invalid-state');
  });
});

describe('E2eeContext: new keys when people join and leave', () => {
  it('a newcomer cannot decrypt frames sent before it joined; the others go on without a new share', async () => {
    const relay = new SimRelay();
    const a = await relay.join('a');
    const b = await relay.join('b');
    const before = await a.e2ee.encryptFrame(VIDEO_FRAME, payload(1));
    expect(await b.e2ee.decryptFrame('a', VIDEO_FRAME, before)).toEqual(payload(1));
    const sharesToB = relay.count('share', 'a', 'b');

    const c = await relay.join('c');
    expect(a.e2ee.currentKid).toBe(1n); // one ratchet step on
    expect(await codeOf(c.e2ee.decryptFrame('a', VIDEO_FRAME, before))).toBe('e2ee-unknown-key');

    const after = await a.e2ee.encryptFrame(VIDEO_FRAME, payload(2));
    expect(parseSFrameHeader(after).kid).toBe(1n);
    expect(await c.e2ee.decryptFrame('a', VIDEO_FRAME, after)).toEqual(payload(2));
    expect(await b.e2ee.decryptFrame('a', VIDEO_FRAME, after)).toEqual(payload(2));
    expect(relay.count('share', 'a', 'b')).toBe(sharesToB); // b ratcheted by itself
  });

  it('after someone leaves, frames use a fresh key the leaver never gets; the others get it and a keyframe follows', async () => {
    const relay = new SimRelay();
    const a = await relay.join('a', secret);
    const b = await relay.join('b', secret);
    const c = await relay.join('c', secret);
    const before = await a.e2ee.encryptFrame(VIDEO_FRAME, payload(1));
    expect(await c.e2ee.decryptFrame('a', VIDEO_FRAME, before)).toEqual(payload(1));
    const sharesToC = relay.count('share', 'a', 'c');

    a.keyframesNeeded.length = 0;
    const leaver = relay.leave('c');
    expect(a.keyframesNeeded).toEqual(['key-rotated']);
    expect(b.keyframesNeeded).toContain('key-rotated');
    expect(a.e2ee.currentKid >> 8n).toBe(1n); // a new generation

    const after = await a.e2ee.encryptFrame(VIDEO_FRAME, payload(2));
    expect(await b.e2ee.decryptFrame('a', VIDEO_FRAME, after)).toEqual(payload(2));
    // The leaver still has its E2EE context and every key it ever got; none opens the new frames.
    expect(await codeOf(leaver.e2ee.decryptFrame('a', VIDEO_FRAME, after))).toBe('e2ee-unknown-key');
    expect(relay.count('share', 'a', 'c')).toBe(sharesToC);
  });

  it('keeps the previous key a moment (3 s) for frames already on their way', async () => {
    const relay = new SimRelay();
    const a = await relay.join('a');
    const b = await relay.join('b');
    await relay.join('c');
    // Sent just before c left, under a ratchet step b has not seen yet; delivered late.
    const late = await a.e2ee.encryptFrame(VIDEO_FRAME, payload(1));
    const tooLate = await a.e2ee.encryptFrame(VIDEO_FRAME, payload(2));
    relay.leave('c');
    relay.clock.now += 2999;
    expect(await b.e2ee.decryptFrame('a', VIDEO_FRAME, late)).toEqual(payload(1));
    relay.clock.now += 1;
    expect(await codeOf(b.e2ee.decryptFrame('a', VIDEO_FRAME, tooLate))).toBe('e2ee-unknown-key');
    const fresh = await a.e2ee.encryptFrame(VIDEO_FRAME, payload(3));
    expect(await b.e2ee.decryptFrame('a', VIDEO_FRAME, fresh)).toEqual(payload(3));
  });

  it('does not change keys when someone leaves who never got ours', async () => {
    const relay = new SimRelay();
    const a = await relay.join('a', secret);
    await relay.join('b', wrongSecret); // never verified: never keyed
    const kid = a.e2ee.currentKid;
    a.keyframesNeeded.length = 0;
    relay.leave('b');
    expect(a.e2ee.currentKid).toBe(kid);
    expect(a.keyframesNeeded).toEqual([]);
  });

  it('drops frames until the key arrives, then asks the sender for a keyframe', async () => {
    const relay = new SimRelay();
    const a = await relay.join('a');
    const b = await relay.join('b');
    await relay.join('c');
    const held: Routed[] = [];
    relay.intercept = (r) => (r.message.step === 'share' && r.message.target === 'b' ? (held.push(r), []) : [r]);
    relay.leave('c');
    const after = await a.e2ee.encryptFrame(VIDEO_FRAME, payload(2));
    expect(await codeOf(b.e2ee.decryptFrame('a', VIDEO_FRAME, after))).toBe('e2ee-unknown-key');
    expect(b.keyframeRequests).toEqual([]);
    for (const r of held) b.e2ee.receiveKeyExchange(r.from, r.message);
    expect(b.keyframeRequests).toEqual(['a']);
    expect(await b.e2ee.decryptFrame('a', VIDEO_FRAME, after)).toEqual(payload(2));
  });

  it('asks for a key that got lost, and the sender shares it again', async () => {
    const relay = new SimRelay();
    const a = await relay.join('a');
    const b = await relay.join('b');
    await relay.join('c');
    relay.intercept = (r) => (r.message.step === 'share' && r.message.target === 'b' ? [] : [r]); // lost
    relay.leave('c');
    relay.intercept = (r) => [r];
    const after = await a.e2ee.encryptFrame(VIDEO_FRAME, payload(2));
    expect(await codeOf(b.e2ee.decryptFrame('a', VIDEO_FRAME, after))).toBe('e2ee-unknown-key');
    relay.flush(); // b's request, then a's answer
    expect(relay.count('request', 'b', 'a')).toBe(1);
    expect(b.keyframeRequests).toEqual(['a']);
    expect(await b.e2ee.decryptFrame('a', VIDEO_FRAME, after)).toEqual(payload(2));
  });

  it('asks for a missing key at most once a second', async () => {
    const relay = new SimRelay();
    const a = await relay.join('a');
    const b = await relay.join('b');
    await relay.join('c');
    relay.intercept = (r) => (r.message.step === 'share' && r.message.target === 'b' ? [] : [r]); // every share lost
    relay.leave('c');
    for (let i = 0; i < 5; i++) {
      const ct = await a.e2ee.encryptFrame(VIDEO_FRAME, payload(i));
      expect(await codeOf(b.e2ee.decryptFrame('a', VIDEO_FRAME, ct))).toBe('e2ee-unknown-key');
      relay.flush();
    }
    expect(relay.count('request', 'b', 'a')).toBe(1);
    relay.clock.now += 1000;
    const ct = await a.e2ee.encryptFrame(VIDEO_FRAME, payload(9));
    await codeOf(b.e2ee.decryptFrame('a', VIDEO_FRAME, ct));
    relay.flush();
    expect(relay.count('request', 'b', 'a')).toBe(2);
  });
});

describe('E2eeContext: one side meets the other anew, the other never saw it go', () => {
  /** `who` saw `other` leave and come back (presence across relays flapped); `other` noticed nothing. */
  function flap(relay: SimRelay, who: string, other: string): void {
    relay.e2ee(who).onPeerLeft(other);
    relay.e2ee(who).onPeerJoined(other);
    relay.flush();
  }

  /** Frames go both ways between a and b. */
  async function framesFlow(relay: SimRelay, n: number): Promise<void> {
    const fromA = await relay.e2ee('a').encryptFrame(VIDEO_FRAME, payload(n));
    expect(await relay.e2ee('b').decryptFrame('a', VIDEO_FRAME, fromA)).toEqual(payload(n));
    const fromB = await relay.e2ee('b').encryptFrame(VIDEO_FRAME, payload(n + 1));
    expect(await relay.e2ee('a').decryptFrame('b', VIDEO_FRAME, fromB)).toEqual(payload(n + 1));
  }

  it('the initiator: its fresh COMMIT runs a second exchange at the responder, and both get new keys and a new code', async () => {
    const relay = new SimRelay();
    const a = await relay.join('a'); // 'a' sorts first: the initiator
    const b = await relay.join('b');
    expect(b.e2ee.confirmSafetyCode('a')).toBe(true);
    const oldCode = b.e2ee.securityOf('a').safetyCode;
    relay.clock.now += 5000;
    flap(relay, 'a', 'b');
    expect(relay.count('commit', 'a', 'b')).toBe(2);
    expect(a.e2ee.securityOf('b').status).toBe('unverified');
    // The code people compared belongs to the old keys: compare again.
    expect(b.e2ee.securityOf('a')).toMatchObject({ status: 'unverified' });
    expect(b.e2ee.securityOf('a').safetyCode).toBe(a.e2ee.securityOf('b').safetyCode);
    expect(b.e2ee.securityOf('a').safetyCode).not.toBe(oldCode);
    await framesFlow(relay, 10);
    expect([...a.errors, ...b.errors]).toEqual([]);
  });

  it('the responder: its RESTART makes the initiator open a second exchange; both verified again with the passphrase', async () => {
    const relay = new SimRelay();
    const a = await relay.join('a', secret);
    const b = await relay.join('b', secret);
    relay.clock.now += 5000;
    flap(relay, 'b', 'a');
    expect(relay.count('restart', 'b', 'a')).toBe(2); // one when b first met a (a had just opened), one now
    expect(relay.count('commit', 'a', 'b')).toBe(2);
    expect(a.e2ee.securityOf('b').status).toBe('verified');
    expect(b.e2ee.securityOf('a').status).toBe('verified');
    await framesFlow(relay, 20);
    expect([...a.errors, ...b.errors]).toEqual([]);
  });

  it('keeps the finished exchange in use while the second one runs, and when a forged COMMIT fails its MAC', async () => {
    const relay = new SimRelay();
    const a = await relay.join('a', secret);
    const b = await relay.join('b', secret);
    const forged = { target: 'b', step: 'commit' as const, data: new Uint8Array(32).fill(3), mac: new Uint8Array(32) };
    relay.inject('a', { ...forged, kid: 0n });
    relay.flush();
    // Nothing changed, so nothing is reported ("their media is blocked" would be wrong).
    expect(b.errors).toEqual([]);
    expect(b.e2ee.securityOf('a').status).toBe('verified');
    expect(relay.count('reveal', 'b', 'a')).toBe(1); // no answer to the forgery
    await framesFlow(relay, 30);
    // A second exchange that never completes (its final REVEAL lost) changes nothing either.
    relay.intercept = (r) => (r.message.step === 'reveal' && r.from === 'a' ? [] : [r]);
    relay.clock.now += 5000;
    flap(relay, 'b', 'a'); // b starts over as responder; a opens a second exchange whose last step is lost
    expect(a.e2ee.securityOf('b').status).toBe('verified');
    const fromA = await a.e2ee.encryptFrame(VIDEO_FRAME, payload(40));
    expect(await codeOf(b.e2ee.decryptFrame('a', VIDEO_FRAME, fromA))).not.toBe('ok');
    expect(a.errors).toEqual([]);
  });

  it('recovers from a lost REVEAL: the stalled initiator sends its COMMIT again when frames of the peer come', async () => {
    const relay = new SimRelay();
    let dropped = 0;
    relay.intercept = (r) => (r.message.step === 'reveal' && r.from === 'b' && dropped++ === 0 ? [] : [r]);
    const a = await relay.join('a');
    const b = await relay.join('b');
    expect(a.e2ee.securityOf('b').status).toBe('pending');
    const fromB = await b.e2ee.encryptFrame(VIDEO_FRAME, payload(1));
    expect(await codeOf(a.e2ee.decryptFrame('b', VIDEO_FRAME, fromB))).toBe('e2ee-unknown-key');
    relay.flush();
    expect(relay.count('commit', 'a', 'b')).toBe(1); // not within a second of the first
    relay.clock.now += 1000;
    expect(await codeOf(a.e2ee.decryptFrame('b', VIDEO_FRAME, fromB))).toBe('e2ee-unknown-key');
    relay.flush();
    expect(relay.count('commit', 'a', 'b')).toBe(2);
    expect(a.e2ee.securityOf('b').status).toBe('unverified');
    expect(b.e2ee.securityOf('a').safetyCode).toBe(a.e2ee.securityOf('b').safetyCode);
    await framesFlow(relay, 50);
  });

  it('recovers from a lost final REVEAL: the stalled responder asks for a new exchange when the key share it cannot open comes', async () => {
    const relay = new SimRelay();
    let dropped = 0;
    relay.intercept = (r) => (r.message.step === 'reveal' && r.from === 'a' && dropped++ === 0 ? [] : [r]);
    const a = await relay.join('a');
    const b = await relay.join('b');
    expect(a.e2ee.securityOf('b').status).toBe('unverified');
    expect(b.e2ee.securityOf('a').status).toBe('pending');
    relay.clock.now += 1000;
    const fromA = await a.e2ee.encryptFrame(VIDEO_FRAME, payload(1));
    expect(await codeOf(b.e2ee.decryptFrame('a', VIDEO_FRAME, fromA))).toBe('e2ee-unknown-key');
    relay.flush();
    expect(relay.count('restart', 'b', 'a')).toBe(2);
    expect(b.e2ee.securityOf('a').status).toBe('unverified');
    expect(b.e2ee.securityOf('a').safetyCode).toBe(a.e2ee.securityOf('b').safetyCode);
    await framesFlow(relay, 60);
  });
});

describe('E2eeContext: a relay that replaces keys', () => {
  /**
   * The relay runs its own handshakes: as "b" towards a and as "a" towards b,
   * and re-wraps every key share it sees, so that it can read all media.
   */
  function manInTheMiddle(relay: SimRelay, relaySecret: RoomSecret | null) {
    const asBTowardsA = new PairHandshake({ room: relay.room, selfId: 'b', peerId: 'a', secret: relaySecret });
    const asATowardsB = new PairHandshake({ room: relay.room, selfId: 'a', peerId: 'b', secret: relaySecret });
    const stolen = new SenderKeys({ aead: nobleAesGcm });
    const commitToB = asATowardsB.start()!;
    relay.intercept = ({ from, message }) => {
      const out: Routed[] = [];
      // The responder's "open an exchange with me": this relay already runs its own exchanges with both.
      if (message.step === 'restart') return out;
      const reply = (side: PairHandshake, as: string) => {
        const r = side.receive(message).reply;
        if (r) out.push({ from: as, message: r });
      };
      if (from === 'a' && message.target === 'b') {
        if (message.step === 'commit') out.push({ from: 'a', message: commitToB });
        if (message.step === 'share') {
          const context = { room: relay.room, from: 'a', to: 'b', kid: message.kid };
          const baseKey = unwrapSenderKey(asBTowardsA.pairwiseKey!, context, message.data);
          stolen.installPeerKey('a', message.kid, baseKey);
          out.push({
            from: 'a',
            message: { ...message, data: wrapSenderKey(asATowardsB.pairwiseKey!, context, baseKey) },
          });
        } else reply(asBTowardsA, 'b');
      } else if (from === 'b' && message.target === 'a') {
        if (message.step === 'share') {
          const context = { room: relay.room, from: 'b', to: 'a', kid: message.kid };
          const baseKey = unwrapSenderKey(asATowardsB.pairwiseKey!, context, message.data);
          out.push({
            from: 'b',
            message: { ...message, data: wrapSenderKey(asBTowardsA.pairwiseKey!, context, baseKey) },
          });
        } else reply(asATowardsB, 'a');
      } else out.push({ from, message });
      return out;
    };
    return { stolen, asBTowardsA, asATowardsB };
  }

  it('with a passphrase: both victims detect it (e2ee-key-mismatch) and give the relay no key', async () => {
    const relay = new SimRelay();
    const { stolen } = manInTheMiddle(relay, wrongSecret); // the relay does not know the passphrase
    const a = await relay.join('a', secret);
    const b = await relay.join('b', secret);
    expect(a.e2ee.securityOf('b').status).toBe('mismatch');
    expect(b.e2ee.securityOf('a').status).toBe('mismatch');
    expect(a.errors.map((e) => e.error.code)).toContain('e2ee-key-mismatch');
    expect(b.errors.map((e) => e.error.code)).toContain('e2ee-key-mismatch');
    expect(relay.count('share', 'a', 'b')).toBe(0);
    expect(stolen.hasPeer('a')).toBe(false);
    const ct = await a.e2ee.encryptFrame(VIDEO_FRAME, payload(1));
    expect(await codeOf(b.e2ee.decryptFrame('a', VIDEO_FRAME, ct))).toBe('e2ee-key-mismatch');
  });

  it('with a passphrase: swapping only the public key in a reveal is detected too', async () => {
    const relay = new SimRelay();
    const relayKey = crypto.getRandomValues(new Uint8Array(32));
    relay.intercept = (r) => [
      r.message.step === 'reveal' && r.from === 'b' ? { ...r, message: { ...r.message, data: relayKey } } : r,
    ];
    const a = await relay.join('a', secret);
    await relay.join('b', secret);
    expect(a.e2ee.securityOf('b').status).toBe('mismatch');
    expect(a.errors[0]?.error.code).toBe('e2ee-key-mismatch');
  });

  it('without a passphrase: the relay can read the media, and the safety codes of the two victims differ', async () => {
    const relay = new SimRelay();
    const { stolen, asBTowardsA, asATowardsB } = manInTheMiddle(relay, null);
    const a = await relay.join('a');
    const b = await relay.join('b');
    const codeAtA = a.e2ee.securityOf('b').safetyCode;
    const codeAtB = b.e2ee.securityOf('a').safetyCode;
    expect(a.e2ee.securityOf('b').status).toBe('unverified');
    expect(codeAtA).toBe(asBTowardsA.safetyCode);
    expect(codeAtB).toBe(asATowardsB.safetyCode);
    expect(codeAtA).not.toBe(codeAtB); // what people comparing aloud would notice
    const ct = await a.e2ee.encryptFrame(VIDEO_FRAME, payload(1));
    expect(await b.e2ee.decryptFrame('a', VIDEO_FRAME, ct)).toEqual(payload(1));
    expect(await stolen.decrypt('a', mediaFrameMetadata('a', VIDEO_FRAME), ct)).toEqual(payload(1));
  });
});
