import { describe, expect, it } from 'vitest';
import { nobleAesGcm } from '../../../src/e2ee/aead.js';
import { makeKid, MAX_RATCHET_AHEAD, SenderKeys, splitKid } from '../../../src/e2ee/sender-keys.js';
import { encodeSFrameHeader, parseSFrameHeader } from '../../../src/e2ee/sframe-header.js';

const META = new Uint8Array([1, 2, 3]);
const frame = (n: number) => new Uint8Array(64).fill(n);

/** A sender and a receiver holding the sender's first key, with a clock the test moves. */
function pair(options: { graceMs?: number; window?: number } = {}) {
  const clock = { now: 0 };
  const opts = {
    aead: nobleAesGcm,
    now: () => clock.now,
    keyGraceMs: options.graceMs ?? 1000,
    replayWindow: options.window,
  };
  const sender = new SenderKeys(opts);
  const receiver = new SenderKeys(opts);
  const share = sender.share();
  expect(receiver.installPeerKey('alice', share.kid, share.baseKey)).toBe('installed');
  return { clock, sender, receiver };
}

describe('KIDs', () => {
  it('carry the generation above 8 bits of ratchet step', () => {
    expect(makeKid(0, 0)).toBe(0n);
    expect(makeKid(0, 5)).toBe(5n);
    expect(makeKid(2, 3)).toBe(0x203n);
    expect(makeKid(0, 257)).toBe(1n);
    expect(splitKid(0x203n)).toEqual({ generation: 2, step: 3 });
    expect(splitKid((1n << 64n) - 1n)).toBeNull();
  });
});

describe('SenderKeys', () => {
  it('starts at KID 0 and gives each frame the next counter', async () => {
    const { sender, receiver } = pair();
    const headers = [];
    for (let i = 0; i < 10; i++) headers.push(parseSFrameHeader(await sender.encrypt(META, frame(i))));
    expect(headers.map((h) => h.kid)).toEqual(Array(10).fill(0n));
    expect(headers.map((h) => h.ctr)).toEqual([0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n]);
    expect(receiver.hasPeer('alice')).toBe(true);
  });

  it('assigns counters when called, so concurrent encryptions never share one', async () => {
    const { sender } = pair();
    const all = await Promise.all(Array.from({ length: 50 }, (_, i) => sender.encrypt(META, frame(i))));
    expect(new Set(all.map((ct) => parseSFrameHeader(ct).ctr)).size).toBe(50);
  });

  it('ratchets and rotates only a key that was used or given out', async () => {
    const sender = new SenderKeys({ aead: nobleAesGcm });
    expect(sender.ratchet()).toBe(false);
    expect(sender.rotate()).toBe(false);
    expect(sender.currentKid).toBe(0n);
    await sender.encrypt(META, frame(0));
    expect(sender.ratchet()).toBe(true);
    expect(sender.currentKid).toBe(1n);
    expect(sender.ratchet()).toBe(false); // step 1 not used yet
    sender.share();
    expect(sender.rotate()).toBe(true);
    expect(sender.currentKid).toBe(0x100n);
    // The counter starts again under each new KID.
    expect(parseSFrameHeader(await sender.encrypt(META, frame(0))).ctr).toBe(0n);
  });

  it('decrypts in any order within the window, each frame once', async () => {
    const { sender, receiver } = pair();
    const cts = [];
    for (let i = 0; i < 20; i++) cts.push(await sender.encrypt(META, frame(i)));
    const order = [3, 0, 19, 7, 1, 2, 18, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17];
    for (const i of order) expect(await receiver.decrypt('alice', META, cts[i]!)).toEqual(frame(i));
    for (const ct of cts)
      await expect(receiver.decrypt('alice', META, ct)).rejects.toMatchObject({ code: 'e2ee-replay' });
  });

  it('refuses a frame older than the window even if never seen', async () => {
    const { sender, receiver } = pair({ window: 16 });
    const cts = [];
    for (let i = 0; i < 40; i++) cts.push(await sender.encrypt(META, frame(i)));
    await receiver.decrypt('alice', META, cts[39]!);
    await expect(receiver.decrypt('alice', META, cts[23]!)).rejects.toMatchObject({ code: 'e2ee-replay' });
    expect(await receiver.decrypt('alice', META, cts[24]!)).toEqual(frame(24));
  });

  it('accepts only one of two copies of a frame decrypted at the same time', async () => {
    const { sender, receiver } = pair();
    const ct = await sender.encrypt(META, frame(1));
    const results = await Promise.allSettled([
      receiver.decrypt('alice', META, ct),
      receiver.decrypt('alice', META, ct),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
  });

  it('follows the sender one ratchet step on without a new share, and keeps the old step for the grace period', async () => {
    const { clock, sender, receiver } = pair({ graceMs: 1000 });
    const old = await sender.encrypt(META, frame(1));
    const lateOld = await sender.encrypt(META, frame(2));
    const tooLate = await sender.encrypt(META, frame(3));
    await receiver.decrypt('alice', META, old);
    sender.ratchet();
    const next = await sender.encrypt(META, frame(4));
    expect(parseSFrameHeader(next).kid).toBe(1n);
    expect(await receiver.decrypt('alice', META, next)).toEqual(frame(4));
    clock.now += 999;
    expect(await receiver.decrypt('alice', META, lateOld)).toEqual(frame(2));
    clock.now += 1;
    await expect(receiver.decrypt('alice', META, tooLate)).rejects.toMatchObject({ code: 'e2ee-unknown-key' });
  });

  it('follows several ratchet steps at once, keeping the skipped ones for late frames', async () => {
    const { sender, receiver } = pair();
    await sender.encrypt(META, frame(0));
    sender.ratchet();
    const step1 = await sender.encrypt(META, frame(1));
    sender.ratchet();
    sender.ratchet(); // step 2 never used: no-op
    const step2 = await sender.encrypt(META, frame(2));
    expect(parseSFrameHeader(step2).kid).toBe(2n);
    expect(await receiver.decrypt('alice', META, step2)).toEqual(frame(2));
    expect(await receiver.decrypt('alice', META, step1)).toEqual(frame(1));
  });

  it('keeps one replay window for a step reached by ratchet and by a share at the same time', async () => {
    const { sender, receiver } = pair();
    await sender.encrypt(META, frame(0));
    sender.ratchet();
    const step1 = await sender.encrypt(META, frame(1));
    const decrypting = receiver.decrypt('alice', META, step1); // derives step 1, then waits for the cipher
    const share = sender.share();
    expect(receiver.installPeerKey('alice', share.kid, share.baseKey)).toBe('installed');
    expect(await decrypting).toEqual(frame(1));
    await expect(receiver.decrypt('alice', META, step1)).rejects.toMatchObject({ code: 'e2ee-replay' });
  });

  it('does not follow a ratchet further than it allows, nor move on a forged frame', async () => {
    const { clock, sender, receiver } = pair({ graceMs: 10 });
    const first = await sender.encrypt(META, frame(0));
    const forged = new Uint8Array([...encodeSFrameHeader(1n, 0n), ...new Uint8Array(40)]);
    await expect(receiver.decrypt('alice', META, forged)).rejects.toMatchObject({ code: 'e2ee-decrypt-failed' });
    clock.now += 100;
    // Still on step 0: a forged KID changed nothing.
    expect(await receiver.decrypt('alice', META, first)).toEqual(frame(0));
    for (let i = 0; i <= MAX_RATCHET_AHEAD; i++) {
      sender.ratchet();
      await sender.encrypt(META, frame(i));
    }
    const far = await sender.encrypt(META, frame(99));
    expect(parseSFrameHeader(far).kid).toBe(BigInt(MAX_RATCHET_AHEAD + 1));
    await expect(receiver.decrypt('alice', META, far)).rejects.toMatchObject({ code: 'e2ee-unknown-key' });
    expect(receiver.isAwaited('alice', parseSFrameHeader(far).kid)).toBe(true);
  });

  it('cannot read a new generation with the previous key, and takes it from a share', async () => {
    const { clock, sender, receiver } = pair({ graceMs: 1000 });
    const before = await sender.encrypt(META, frame(1));
    sender.rotate();
    const after = await sender.encrypt(META, frame(2));
    expect(parseSFrameHeader(after).kid).toBe(0x100n);
    await expect(receiver.decrypt('alice', META, after)).rejects.toMatchObject({ code: 'e2ee-unknown-key' });
    expect(receiver.isAwaited('alice', 0x100n)).toBe(true);
    const share = sender.share();
    expect(receiver.installPeerKey('alice', share.kid, share.baseKey)).toBe('installed');
    expect(receiver.installPeerKey('alice', share.kid, share.baseKey)).toBe('duplicate');
    expect(await receiver.decrypt('alice', META, after)).toEqual(frame(2));
    expect(await receiver.decrypt('alice', META, before)).toEqual(frame(1)); // in flight, within grace
    clock.now += 1000;
    expect(receiver.isAwaited('alice', 0n)).toBe(false);
  });

  it('refuses a replayed old share, so old frames cannot be replayed through it', async () => {
    const { clock, sender, receiver } = pair({ graceMs: 100 });
    const oldShare = sender.share();
    const old = await sender.encrypt(META, frame(1));
    await receiver.decrypt('alice', META, old);
    sender.rotate();
    const share = sender.share();
    receiver.installPeerKey('alice', share.kid, share.baseKey);
    clock.now += 100;
    expect(receiver.installPeerKey('alice', oldShare.kid, oldShare.baseKey)).toBe('stale');
    await expect(receiver.decrypt('alice', META, old)).rejects.toMatchObject({ code: 'e2ee-unknown-key' });
  });

  it('forgets a peer that left', async () => {
    const { sender, receiver } = pair();
    const ct = await sender.encrypt(META, frame(1));
    receiver.removePeer('alice');
    await expect(receiver.decrypt('alice', META, ct)).rejects.toMatchObject({ code: 'e2ee-unknown-key' });
  });

  it('refuses malformed ciphertexts and KIDs it never makes with coded errors', async () => {
    const { receiver } = pair();
    await expect(receiver.decrypt('alice', META, new Uint8Array(0))).rejects.toMatchObject({ code: 'e2ee-malformed' });
    await expect(receiver.decrypt('alice', META, new Uint8Array([0x08]))).rejects.toMatchObject({
      code: 'e2ee-malformed',
    });
    const huge = new Uint8Array([...encodeSFrameHeader((1n << 64n) - 1n, 0n), ...new Uint8Array(32)]);
    await expect(receiver.decrypt('alice', META, huge)).rejects.toMatchObject({ code: 'e2ee-unknown-key' });
    const short = new Uint8Array([...encodeSFrameHeader(0n, 1n), 1, 2, 3]);
    await expect(receiver.decrypt('alice', META, short)).rejects.toMatchObject({ code: 'e2ee-malformed' });
    await expect(receiver.decrypt('nobody', META, short)).rejects.toMatchObject({ code: 'e2ee-unknown-key' });
  });
});
