/**
 * Authenticated key exchange between two participants, over the relay.
 *
 * Each pair of participants runs a three-message handshake with fresh X25519
 * keys (new for every pair and every call); the one whose session id sorts
 * first is the initiator:
 *
 * ```
 * initiator → responder  COMMIT  SHA-256(initiator's public key, room, ids)
 * responder → initiator  REVEAL  responder's public key
 * initiator → responder  REVEAL  initiator's public key  (must match the commitment)
 * ```
 * Both then hold a pairwise key, `HKDF(X25519, salt, "videocall-room pairwise v1" ||
 * room || initiator id || initiator key || responder id || responder key)`, under
 * which each sends its media key (`SHARE`, see `sender-keys.ts`).
 *
 * Authentication, because the relay carries every message and could answer
 * each side with keys of its own:
 * - With a passphrase (never sent to the relay), a slow KDF turns it into a room
 *   secret; COMMIT and REVEAL carry an HMAC under it over (step, room, from, to,
 *   data), and it salts the pairwise key. A relay that substitutes a key cannot
 *   make the MAC: the peer is reported as `e2ee-key-mismatch`.
 * - Without one, both sides show an 8-digit safety code computed from the whole
 *   transcript; people compare it aloud. The commitment is what makes a short
 *   code enough: each side's fresh key stays secret until it has seen the other
 *   side's key or commitment, so a relay in the middle has to fix its own keys
 *   before learning the key that decides the code, and the two codes it causes
 *   match with probability 10^-8 instead of after a quick search (the flaw of
 *   codes hashed from keys alone).
 *
 * **Starting over.** One side may lose sight of the other while the other does
 * not (presence across relays flapped): it forgets the pair and meets the peer
 * anew, while the peer still holds a finished exchange. A fresh COMMIT to a
 * responder that finished then runs a second handshake beside the first, which
 * stays in use until the second completes; a responder that meets an initiator
 * anew asks for that COMMIT with RESTART. The rules are in `e2ee-context.ts`.
 *
 * A failed check ends the handshake for good (`failed`). A responder still
 * answers a COMMIT it could not verify with its REVEAL, so a wrong passphrase
 * shows on both sides; otherwise the side that did not detect anything stays
 * waiting, and the UI should say so after a while.
 */
import { gcm } from '@noble/ciphers/aes.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { scryptAsync } from '@noble/hashes/scrypt.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { concatBytes } from '../shared/bytes.js';
import { compareIds, equalBytes, lengthPrefixed16, uint64Bytes, utf8 } from './bytes.js';
import { E2eeError } from './errors.js';
import { normalizePassphrase } from './passphrase.js';
import type { KeyExchangeMessage, KeyExchangeStep } from './key-messages.js';

const LABEL_COMMIT = utf8('videocall-room commit v1');
const LABEL_MAC = utf8('videocall-room key exchange v1');
const LABEL_PAIRWISE = utf8('videocall-room pairwise v1');
const LABEL_SAFETY = utf8('videocall-room safety code v1');
const LABEL_SHARE = utf8('videocall-room key share v1');
const LABEL_PASSPHRASE = utf8('videocall-room passphrase v1');

/**
 * scrypt cost for the passphrase: N = 2^15, r = 8 (32 MiB), p = 1. About 0.2 s
 * once per join on a laptop-class core (measured 190 ms on the 2-core CI box),
 * and memory-hard, so a relay guessing passphrases offline from the MACs it saw
 * pays that per guess, GPUs included. Changing it is a protocol change.
 */
export const PASSPHRASE_SCRYPT = { N: 2 ** 15, r: 8, p: 1, dkLen: 32 } as const;

/** Keys derived from the room passphrase. Never leaves the page. */
export interface RoomSecret {
  /** HMAC-SHA256 key for COMMIT and REVEAL. */
  readonly macKey: Uint8Array;
  /** HKDF salt of every pairwise key: without the passphrase, no pairwise key. */
  readonly pairwiseSalt: Uint8Array;
}

// In their own module so the page can read a passphrase without loading the key exchange.
export { normalizePassphrase, passphraseFromFragment } from './passphrase.js';

/**
 * Derives the {@link RoomSecret} of `passphrase` in `room` with scrypt
 * ({@link PASSPHRASE_SCRYPT}); the room name is the salt, so one passphrase
 * gives unrelated secrets in two rooms. Start it early: it takes ~0.2 s, yielding
 * to the event loop while it runs.
 */
export async function deriveRoomSecret(passphrase: string, room: string): Promise<RoomSecret> {
  const normalized = normalizePassphrase(passphrase);
  if (!normalized) throw new E2eeError('e2ee-invalid-state', 'The passphrase is empty.');
  const salt = concatBytes([LABEL_PASSPHRASE, lengthPrefixed16(utf8(room))]);
  const seed = await scryptAsync(utf8(normalized), salt, { ...PASSPHRASE_SCRYPT });
  const secret = {
    macKey: hkdf(sha256, seed, undefined, utf8('videocall-room mac key v1'), 32),
    pairwiseSalt: hkdf(sha256, seed, undefined, utf8('videocall-room pairwise salt v1'), 32),
  };
  seed.fill(0);
  return secret;
}

/** Who is talking to whom, about which room. */
export interface PairContext {
  room: string;
  selfId: string;
  peerId: string;
  /** From the passphrase; absent without one. */
  secret?: RoomSecret | null;
}

/**
 * Each step's byte in a MAC. The numbers are those of the wire's
 * `KeyExchangeStep` (proto/videocall.proto), but they are fixed here for the
 * MAC's sake: changing one would make every peer's MAC fail.
 */
const STEP_MAC_BYTE: Readonly<Record<KeyExchangeStep, number>> = {
  commit: 1,
  reveal: 2,
  share: 3,
  request: 4,
  restart: 5,
};

/** The MAC of a COMMIT or REVEAL from `from` to `to`. */
function stepMac(secret: RoomSecret, step: KeyExchangeStep, room: string, from: string, to: string, data: Uint8Array) {
  const message = concatBytes([
    LABEL_MAC,
    Uint8Array.of(STEP_MAC_BYTE[step]),
    lengthPrefixed16(utf8(room)),
    lengthPrefixed16(utf8(from)),
    lengthPrefixed16(utf8(to)),
    data,
  ]);
  return hmac(sha256, secret.macKey, message);
}

/** The initiator's commitment to its public key. */
export function keyCommitment(room: string, initiatorId: string, responderId: string, publicKey: Uint8Array) {
  return sha256(
    concatBytes([
      LABEL_COMMIT,
      lengthPrefixed16(utf8(room)),
      lengthPrefixed16(utf8(initiatorId)),
      lengthPrefixed16(utf8(responderId)),
      publicKey,
    ]),
  );
}

/** The bytes both sides agree on once the handshake is done: room, ids and both public keys, initiator first. */
function transcript(
  room: string,
  initiatorId: string,
  initiatorKey: Uint8Array,
  responderId: string,
  responderKey: Uint8Array,
) {
  return concatBytes([
    lengthPrefixed16(utf8(room)),
    lengthPrefixed16(utf8(initiatorId)),
    initiatorKey,
    lengthPrefixed16(utf8(responderId)),
    responderKey,
  ]);
}

/**
 * The safety code of a finished handshake: 8 decimal digits as "1234 5678",
 * from SHA-256 over the transcript. Equal on both sides unless someone is in
 * the middle.
 */
export function safetyCode(transcriptBytes: Uint8Array): string {
  const digest = sha256(concatBytes([LABEL_SAFETY, transcriptBytes]));
  const value = new DataView(digest.buffer, digest.byteOffset).getBigUint64(0) % 100_000_000n;
  const digits = value.toString().padStart(8, '0');
  return `${digits.slice(0, 4)} ${digits.slice(4)}`;
}

/** Where a {@link PairHandshake} stands. */
export type HandshakeState = 'waiting-commit' | 'waiting-reveal' | 'waiting-final-reveal' | 'complete' | 'failed';

/** What {@link PairHandshake.receive} made of a message. */
export interface HandshakeStep {
  /** The message to send back, if any. */
  reply: KeyExchangeMessage | null;
  /** Set (code `e2ee-key-mismatch`) when the peer failed verification; the handshake is then `failed` for good. */
  failure: E2eeError | null;
}

/**
 * The handshake with one peer. Send what {@link start} returns, feed the peer's
 * messages to {@link receive} and send its replies. A message out of turn
 * throws `e2ee-malformed` and changes nothing.
 */
export class PairHandshake {
  readonly role: 'initiator' | 'responder';
  state: HandshakeState;
  /** Set once complete. */
  pairwiseKey: Uint8Array | null = null;
  /** Set once complete. */
  safetyCode: string | null = null;
  private readonly secretKey: Uint8Array;
  private readonly publicKey: Uint8Array;
  private peerCommitment: Uint8Array | null = null;

  constructor(private readonly context: PairContext) {
    if (context.selfId === context.peerId)
      throw new E2eeError('e2ee-invalid-state', 'A handshake needs two participants.');
    this.role = compareIds(context.selfId, context.peerId) < 0 ? 'initiator' : 'responder';
    this.state = this.role === 'initiator' ? 'waiting-reveal' : 'waiting-commit';
    const keys = x25519.keygen();
    this.secretKey = keys.secretKey;
    this.publicKey = keys.publicKey;
  }

  /** The first message: the initiator's COMMIT; null for the responder, who waits. */
  start(): KeyExchangeMessage | null {
    if (this.role !== 'initiator') return null;
    const { room, selfId, peerId } = this.context;
    return this.message('commit', keyCommitment(room, selfId, peerId, this.publicKey));
  }

  /** True when `data` is the commitment this responder accepted: a copy of a COMMIT it already answered. */
  hasCommitment(data: Uint8Array): boolean {
    return this.peerCommitment !== null && equalBytes(this.peerCommitment, data);
  }

  /** The responder's REVEAL again, for an initiator that resent its COMMIT (it lost the first one); null otherwise. */
  revealAgain(): KeyExchangeMessage | null {
    return this.role === 'responder' && this.state === 'waiting-final-reveal'
      ? this.message('reveal', this.publicKey)
      : null;
  }

  /** Handles a COMMIT or REVEAL from the peer. */
  receive(message: KeyExchangeMessage): HandshakeStep {
    if (this.state === 'complete' || this.state === 'failed') return { reply: null, failure: null }; // late copies
    if (message.step !== 'commit' && message.step !== 'reveal')
      throw new E2eeError('e2ee-malformed', 'Not a handshake step.');
    if (message.step === 'commit' && this.role === 'initiator') {
      // Both sides think they go first: they see different session ids. Only a relay lying about them does that.
      return this.fail('The peer disagrees about who starts the key exchange.');
    }
    const expected = this.state === 'waiting-commit' ? 'commit' : 'reveal';
    if (message.step !== expected) throw new E2eeError('e2ee-malformed', `Expected ${expected}, got ${message.step}.`);

    const macFailure = this.checkMac(message);
    if (message.step === 'commit') {
      // Reveal our key even when the commitment did not verify: it holds no secret, and its MAC lets
      // the initiator find out about the mismatch too (a wrong passphrase then shows on both sides).
      const reply = this.message('reveal', this.publicKey);
      if (macFailure) return { ...this.fail(macFailure), reply };
      this.peerCommitment = message.data.slice();
      this.state = 'waiting-final-reveal';
      return { reply, failure: null };
    }
    if (macFailure) return this.fail(macFailure);
    const { room, selfId, peerId } = this.context;
    if (this.role === 'initiator') {
      const failure = this.finish(message.data);
      return failure ?? { reply: this.message('reveal', this.publicKey), failure: null };
    }
    if (!equalBytes(keyCommitment(room, peerId, selfId, message.data), this.peerCommitment!)) {
      return this.fail('The peer revealed a key other than the one it committed to.');
    }
    return this.finish(message.data) ?? { reply: null, failure: null };
  }

  /** Why the message's MAC is wrong, or null when it is right (or there is no passphrase on either side). */
  private checkMac(message: KeyExchangeMessage): string | null {
    const secret = this.context.secret;
    if (!secret) return message.mac.length ? 'The peer uses a room passphrase and this page has none.' : null;
    const { room, selfId, peerId } = this.context;
    const expected = stepMac(secret, message.step, room, peerId, selfId, message.data);
    if (equalBytes(expected, message.mac)) return null;
    return message.mac.length
      ? 'The peer’s key is not bound to this room’s passphrase: a wrong passphrase, or keys replaced on the way.'
      : 'The peer has no room passphrase and this page has one.';
  }

  /** Derives the pairwise key and the safety code; a failure when the peer's key is unusable. */
  private finish(peerKey: Uint8Array): HandshakeStep | null {
    const { room, selfId, peerId, secret } = this.context;
    let shared: Uint8Array;
    try {
      shared = x25519.getSharedSecret(this.secretKey, peerKey);
    } catch (error) {
      return this.fail('The peer sent an unusable public key.', error);
    }
    const bytes =
      this.role === 'initiator'
        ? transcript(room, selfId, this.publicKey, peerId, peerKey)
        : transcript(room, peerId, peerKey, selfId, this.publicKey);
    this.pairwiseKey = hkdf(sha256, shared, secret?.pairwiseSalt, concatBytes([LABEL_PAIRWISE, bytes]), 16);
    this.safetyCode = safetyCode(bytes);
    shared.fill(0);
    this.secretKey.fill(0);
    this.state = 'complete';
    return null;
  }

  private fail(reason: string, cause?: unknown): HandshakeStep {
    this.state = 'failed';
    this.secretKey.fill(0);
    return { reply: null, failure: new E2eeError('e2ee-key-mismatch', reason, { cause }) };
  }

  private message(step: 'commit' | 'reveal', data: Uint8Array): KeyExchangeMessage {
    const { room, selfId, peerId, secret } = this.context;
    const mac = secret ? stepMac(secret, step, room, selfId, peerId, data) : new Uint8Array(0);
    return { target: peerId, step, data, mac, kid: 0n };
  }
}

/** Who shares a key with whom: bound into every wrapped key, so a share cannot be redirected or replayed under another KID. */
export interface ShareContext {
  room: string;
  from: string;
  to: string;
  kid: bigint;
}

function shareAad({ room, from, to, kid }: ShareContext): Uint8Array {
  return concatBytes([
    LABEL_SHARE,
    lengthPrefixed16(utf8(room)),
    lengthPrefixed16(utf8(from)),
    lengthPrefixed16(utf8(to)),
    uint64Bytes(kid),
  ]);
}

/** `baseKey` encrypted for one peer: a random 12-byte nonce, then AES-128-GCM under the pairwise key. */
export function wrapSenderKey(pairwiseKey: Uint8Array, context: ShareContext, baseKey: Uint8Array): Uint8Array {
  const nonce = randomBytes(12);
  return concatBytes([nonce, gcm(pairwiseKey, nonce, shareAad(context)).encrypt(baseKey)]);
}

/** The base key in a share; throws `e2ee-decrypt-failed` when it does not authenticate. */
export function unwrapSenderKey(pairwiseKey: Uint8Array, context: ShareContext, wrapped: Uint8Array): Uint8Array {
  try {
    return gcm(pairwiseKey, wrapped.subarray(0, 12), shareAad(context)).decrypt(wrapped.subarray(12));
  } catch (error) {
    throw new E2eeError('e2ee-decrypt-failed', 'A key share did not authenticate.', { cause: error });
  }
}
