import { x25519 } from '@noble/curves/ed25519.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { E2eeError } from '../../../src/e2ee/errors.js';
import {
  deriveRoomSecret,
  keyCommitment,
  PairHandshake,
  passphraseFromFragment,
  PASSPHRASE_SCRYPT,
  unwrapSenderKey,
  wrapSenderKey,
  type RoomSecret,
} from '../../../src/e2ee/key-exchange.js';
import type { KeyExchangeMessage } from '../../../src/e2ee/key-messages.js';
import { flipBit, toHex } from './helpers.js';

const ROOM = 'standup';

/**
 * Runs a handshake between `a` and `b` through `relay` (which passes messages
 * on unchanged by default); returns the codes of the failures each side saw.
 */
function run(
  a: PairHandshake,
  b: PairHandshake,
  relay: (from: 'a' | 'b', m: KeyExchangeMessage) => KeyExchangeMessage = (_, m) => m,
): { a: string[]; b: string[] } {
  const failures = { a: [] as string[], b: [] as string[] };
  const queue: ['a' | 'b', KeyExchangeMessage][] = [];
  for (const [name, side] of [
    ['a', a],
    ['b', b],
  ] as const) {
    const first = side.start();
    if (first) queue.push([name, first]);
  }
  while (queue.length) {
    const [from, message] = queue.shift()!;
    const to = from === 'a' ? 'b' : 'a';
    const step = (to === 'a' ? a : b).receive(relay(from, message));
    if (step.failure) failures[to].push(step.failure.code);
    if (step.reply) queue.push([to, step.reply]);
  }
  return failures;
}

const MISMATCH = ['e2ee-key-mismatch'];

describe('passphrase', () => {
  let secret: RoomSecret;
  beforeAll(async () => {
    secret = await deriveRoomSecret('correct horse', ROOM);
  });

  it('derives the same secret for the same passphrase (surrounding spaces aside) and room', async () => {
    const again = await deriveRoomSecret('  correct horse ', ROOM);
    expect(toHex(again.macKey)).toBe(toHex(secret.macKey));
    expect(toHex(again.pairwiseSalt)).toBe(toHex(secret.pairwiseSalt));
    expect(PASSPHRASE_SCRYPT).toMatchObject({ N: 2 ** 15, r: 8, p: 1 });
  });

  it('derives unrelated secrets for another passphrase or another room', async () => {
    const [otherPass, otherRoom] = await Promise.all([
      deriveRoomSecret('correct horse!', ROOM),
      deriveRoomSecret('correct horse', 'retro'),
    ]);
    for (const other of [otherPass, otherRoom]) {
      expect(toHex(other.macKey)).not.toBe(toHex(secret.macKey));
      expect(toHex(other.pairwiseSalt)).not.toBe(toHex(secret.pairwiseSalt));
    }
  });

  it('refuses an empty passphrase', async () => {
    await expect(deriveRoomSecret('   ', ROOM)).rejects.toBeInstanceOf(E2eeError);
  });

  it('is read from #vc-key= in a URL fragment, percent-decoded', () => {
    expect(passphraseFromFragment('#vc-key=blue%20horse')).toBe('blue horse');
    expect(passphraseFromFragment('#x=1&vc-key=a+b&y=2')).toBe('a b');
    expect(passphraseFromFragment('vc-key=plain')).toBe('plain');
    expect(passphraseFromFragment('#vc-key=')).toBeNull();
    expect(passphraseFromFragment('#vc-key=%E0%A4%A')).toBeNull();
    expect(passphraseFromFragment('#other=1')).toBeNull();
    expect(passphraseFromFragment('')).toBeNull();
  });
});

describe('PairHandshake', () => {
  let secret: RoomSecret;
  let wrong: RoomSecret;
  beforeAll(async () => {
    [secret, wrong] = await Promise.all([
      deriveRoomSecret('correct horse', ROOM),
      deriveRoomSecret('wrong horse', ROOM),
    ]);
  });

  it('makes the session id that sorts first the initiator', () => {
    const a = new PairHandshake({ room: ROOM, selfId: 'a', peerId: 'b' });
    const b = new PairHandshake({ room: ROOM, selfId: 'b', peerId: 'a' });
    expect([a.role, b.role]).toEqual(['initiator', 'responder']);
    expect(b.start()).toBeNull();
    expect(a.start()?.step).toBe('commit');
  });

  it('agrees on one pairwise key and one 8-digit safety code, without a passphrase', () => {
    const a = new PairHandshake({ room: ROOM, selfId: 'a', peerId: 'b' });
    const b = new PairHandshake({ room: ROOM, selfId: 'b', peerId: 'a' });
    expect(run(a, b)).toEqual({ a: [], b: [] });
    expect([a.state, b.state]).toEqual(['complete', 'complete']);
    expect(toHex(a.pairwiseKey!)).toBe(toHex(b.pairwiseKey!));
    expect(a.pairwiseKey).toHaveLength(16);
    expect(a.safetyCode).toMatch(/^\d{4} \d{4}$/);
    expect(a.safetyCode).toBe(b.safetyCode);
  });

  it('gives fresh keys and codes for every handshake, even between the same two ids', () => {
    const codes = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const a = new PairHandshake({ room: ROOM, selfId: 'a', peerId: 'b' });
      const b = new PairHandshake({ room: ROOM, selfId: 'b', peerId: 'a' });
      run(a, b);
      codes.add(a.safetyCode!);
    }
    expect(codes.size).toBe(5);
  });

  it('agrees on one pairwise key when both sides have the same passphrase', () => {
    const a = new PairHandshake({ room: ROOM, selfId: 'a', peerId: 'b', secret });
    const b = new PairHandshake({ room: ROOM, selfId: 'b', peerId: 'a', secret });
    expect(run(a, b)).toEqual({ a: [], b: [] });
    expect(toHex(a.pairwiseKey!)).toBe(toHex(b.pairwiseKey!));
  });

  it('fails with e2ee-key-mismatch on both sides when the passphrases differ', () => {
    const a = new PairHandshake({ room: ROOM, selfId: 'a', peerId: 'b', secret });
    const b = new PairHandshake({ room: ROOM, selfId: 'b', peerId: 'a', secret: wrong });
    expect(run(a, b)).toEqual({ a: MISMATCH, b: MISMATCH });
    expect([a.state, b.state]).toEqual(['failed', 'failed']);
    expect(a.pairwiseKey).toBeNull();
    expect(b.pairwiseKey).toBeNull();
  });

  it('fails when only one side has a passphrase, whichever side', () => {
    for (const [sa, sb] of [
      [secret, undefined],
      [undefined, secret],
    ] as const) {
      const a = new PairHandshake({ room: ROOM, selfId: 'a', peerId: 'b', secret: sa });
      const b = new PairHandshake({ room: ROOM, selfId: 'b', peerId: 'a', secret: sb });
      expect(run(a, b)).toEqual({ a: MISMATCH, b: MISMATCH });
    }
  });

  it('detects a relay that swaps a public key when there is a passphrase', () => {
    const relayKey = x25519.keygen().publicKey;
    for (const victim of ['a', 'b'] as const) {
      const a = new PairHandshake({ room: ROOM, selfId: 'a', peerId: 'b', secret });
      const b = new PairHandshake({ room: ROOM, selfId: 'b', peerId: 'a', secret });
      const swap = (from: 'a' | 'b', m: KeyExchangeMessage) =>
        from === victim && m.step === 'reveal' ? { ...m, data: relayKey } : m;
      // The side that receives the swapped key notices.
      const failures = run(a, b, swap);
      expect(victim === 'a' ? failures.b : failures.a).toEqual(MISMATCH);
    }
  });

  it('detects an initiator key that does not match its commitment, even without a passphrase', () => {
    const a = new PairHandshake({ room: ROOM, selfId: 'a', peerId: 'b' });
    const b = new PairHandshake({ room: ROOM, selfId: 'b', peerId: 'a' });
    const relayKey = x25519.keygen().publicKey;
    const swap = (from: 'a' | 'b', m: KeyExchangeMessage) =>
      from === 'a' && m.step === 'reveal' ? { ...m, data: relayKey } : m;
    expect(run(a, b, swap).b).toEqual(MISMATCH);
    expect(b.state).toBe('failed');
  });

  it('refuses messages with a MAC altered in any byte', () => {
    const a = new PairHandshake({ room: ROOM, selfId: 'a', peerId: 'b', secret });
    const commit = a.start()!;
    for (let i = 0; i < 32; i++) {
      const b = new PairHandshake({ room: ROOM, selfId: 'b', peerId: 'a', secret });
      expect(b.receive({ ...commit, mac: flipBit(commit.mac, i) }).failure?.code).toBe('e2ee-key-mismatch');
    }
  });

  it('ignores messages out of turn, and anything once complete', () => {
    const a = new PairHandshake({ room: ROOM, selfId: 'a', peerId: 'b' });
    const b = new PairHandshake({ room: ROOM, selfId: 'b', peerId: 'a' });
    const commit = a.start()!;
    expect(() => b.receive({ ...commit, step: 'reveal' })).toThrow(expect.objectContaining({ code: 'e2ee-malformed' }));
    expect(b.state).toBe('waiting-commit');
    const reveal = b.receive(commit).reply!;
    const final = a.receive(reveal).reply!;
    const none = { reply: null, failure: null };
    expect(b.receive(final)).toEqual(none);
    expect(b.receive(commit)).toEqual(none);
    expect(a.receive(reveal)).toEqual(none);
    expect([a.state, b.state]).toEqual(['complete', 'complete']);
  });

  it('treats a commit sent to the initiator as a relay lying about ids', () => {
    const a = new PairHandshake({ room: ROOM, selfId: 'a', peerId: 'b' });
    const fake = new PairHandshake({ room: ROOM, selfId: 'a', peerId: 'z' }).start()!;
    expect(a.receive({ ...fake, target: 'a' }).failure?.code).toBe('e2ee-key-mismatch');
  });

  it('refuses an all-zero (low-order) public key', () => {
    const a = new PairHandshake({ room: ROOM, selfId: 'a', peerId: 'b' });
    a.start();
    const zero = { target: 'a', step: 'reveal' as const, data: new Uint8Array(32), mac: new Uint8Array(0), kid: 0n };
    expect(a.receive(zero).failure?.code).toBe('e2ee-key-mismatch');
  });

  it('commits to the key, the room and both ids', () => {
    const key = x25519.keygen().publicKey;
    const c = toHex(keyCommitment(ROOM, 'a', 'b', key));
    expect(toHex(keyCommitment('other', 'a', 'b', key))).not.toBe(c);
    expect(toHex(keyCommitment(ROOM, 'b', 'a', key))).not.toBe(c);
    expect(toHex(keyCommitment(ROOM, 'a', 'b', x25519.keygen().publicKey))).not.toBe(c);
  });
});

describe('sender key wrapping', () => {
  const pairwise = crypto.getRandomValues(new Uint8Array(16));
  const context = { room: ROOM, from: 'a', to: 'b', kid: 0x102n };
  const baseKey = crypto.getRandomValues(new Uint8Array(16));

  it('unwraps what it wrapped, with a fresh nonce each time', () => {
    const w1 = wrapSenderKey(pairwise, context, baseKey);
    const w2 = wrapSenderKey(pairwise, context, baseKey);
    expect(w1).toHaveLength(44);
    expect(toHex(w1)).not.toBe(toHex(w2));
    expect(unwrapSenderKey(pairwise, context, w1)).toEqual(baseKey);
  });

  it('refuses a share redirected, re-labelled, altered or under another pairwise key', () => {
    const wrapped = wrapSenderKey(pairwise, context, baseKey);
    const wrongs = [
      () => unwrapSenderKey(pairwise, { ...context, to: 'c' }, wrapped),
      () => unwrapSenderKey(pairwise, { ...context, from: 'b', to: 'a' }, wrapped),
      () => unwrapSenderKey(pairwise, { ...context, kid: 0x103n }, wrapped),
      () => unwrapSenderKey(pairwise, { ...context, room: 'x' }, wrapped),
      () => unwrapSenderKey(crypto.getRandomValues(new Uint8Array(16)), context, wrapped),
      ...Array.from(
        { length: wrapped.length },
        (_, i) => () => unwrapSenderKey(pairwise, context, flipBit(wrapped, i)),
      ),
    ];
    for (const wrong of wrongs) expect(wrong).toThrow(expect.objectContaining({ code: 'e2ee-decrypt-failed' }));
  });
});
