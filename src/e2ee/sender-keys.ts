/**
 * Sender keys (RFC 9605 §5.1): every participant encrypts its media with a key
 * of its own and gives that key to each peer (wrapped under their pairwise key,
 * see `key-exchange.ts`). This module holds the keys: ours, with its counter,
 * and every peer's, by sender and KID, each with its replay window.
 *
 * KIDs carry a key generation and a ratchet step, as §5.1 describes:
 * `KID = generation << 8 | (ratchet step mod 256)`.
 * - Someone joins → {@link SenderKeys.ratchet}: the next step,
 *   `base_key' = HKDF(base_key, "SFrame 1.0 Ratchet")`. Nothing is sent to the
 *   peers already here: they see the new KID in the next frame and ratchet too.
 *   The joiner only ever gets the new key and cannot run the ratchet backwards,
 *   so it cannot read what came before.
 * - Someone leaves → {@link SenderKeys.rotate}: a new generation, a fresh random
 *   key, sent to everyone who remains. The leaver could ratchet the old key
 *   forward, never guess the new one.
 * Either way the counter starts again at 0 under the new KID (counters only
 * need to be unique per key). A receiver keeps a sender's previous keys for a
 * short grace period so frames already on their way still decrypt.
 */
import { randomBytes } from '@noble/hashes/utils.js';
import { defaultAeadProvider, type AeadProvider } from './aead.js';
import { equalBytes } from './bytes.js';
import { E2eeError } from './errors.js';
import { DEFAULT_REPLAY_WINDOW, ReplayWindow } from './replay-window.js';
import { AES_128_GCM_SHA256_128, ratchetBaseKey } from './sframe-cipher-suite.js';
import { SFrameKey } from './sframe-key.js';
import { parseSFrameHeader } from './sframe-header.js';

/** Low KID bits that carry the ratchet step. */
export const RATCHET_BITS = 8;
const RATCHET_MODULO = 1 << RATCHET_BITS;
/** How many ratchet steps ahead a receiver follows on its own; beyond that it needs a new share. */
export const MAX_RATCHET_AHEAD = 16;
/** How long a receiver keeps a sender's replaced key, for frames still on their way. */
export const DEFAULT_KEY_GRACE_MS = 3000;
/** Our own counter never passes this (2^53); a key is replaced long before. */
const MAX_COUNTER = BigInt(Number.MAX_SAFE_INTEGER);
/** Generations fit in 64 − 8 bits and stay exact as numbers. */
const MAX_GENERATION = 2 ** 45;

/** The KID of ratchet step `step` of key generation `generation`. */
export function makeKid(generation: number, step: number): bigint {
  return (BigInt(generation) << BigInt(RATCHET_BITS)) | BigInt(step % RATCHET_MODULO);
}

/** The generation and the ratchet step's low bits in a KID; null for KIDs we never make. */
export function splitKid(kid: bigint): { generation: number; step: number } | null {
  const generation = kid >> BigInt(RATCHET_BITS);
  if (generation >= BigInt(MAX_GENERATION)) return null;
  return { generation: Number(generation), step: Number(kid % BigInt(RATCHET_MODULO)) };
}

/** Steps from `from` forward to `to`, modulo the ratchet range. */
function stepsAhead(from: number, to: number): number {
  return (((to - from) % RATCHET_MODULO) + RATCHET_MODULO) % RATCHET_MODULO;
}

/** How to set up {@link SenderKeys}. */
export interface SenderKeysOptions {
  /** AES-GCM implementation for frames (default: WebCrypto where present, else @noble/ciphers). */
  aead?: AeadProvider;
  /** Clock in ms, for the grace period (default `Date.now`). */
  now?: () => number;
  /** How long a replaced key of a peer still decrypts, ms (default {@link DEFAULT_KEY_GRACE_MS}). */
  keyGraceMs?: number;
  /** Replay window per key, in frames (default {@link DEFAULT_REPLAY_WINDOW}). */
  replayWindow?: number;
}

/** A key and KID to hand to a peer. */
export interface SenderKeyShare {
  kid: bigint;
  baseKey: Uint8Array;
}

interface OwnKey {
  generation: number;
  step: number;
  kid: bigint;
  baseKey: Uint8Array;
  key: Promise<SFrameKey>;
  ctr: bigint;
  /** Used for a frame or given to a peer: from then on a join ratchets it and a leave replaces it. */
  exposed: boolean;
}

interface PeerKey {
  kid: bigint;
  generation: number;
  step: number;
  baseKey: Uint8Array;
  key: Promise<SFrameKey>;
  window: ReplayWindow;
  /** When this key is dropped; Infinity while it is the sender's newest. */
  expiresAt: number;
}

interface PeerChain {
  /** The sender's newest key we know. */
  current: PeerKey;
  /** Keys that decrypt, by KID: the current one and replaced ones in their grace period. */
  keys: Map<bigint, PeerKey>;
  /** Ratchet steps ahead of `current`, derived but not yet seen in a frame that authenticated. */
  ahead: Map<bigint, PeerKey>;
}

/** Outcome of {@link SenderKeys.installPeerKey}. */
export type InstallResult = 'installed' | 'duplicate' | 'stale';

/**
 * Our sender key and our peers' keys. Not concerned with who is verified or
 * who gets what: `E2eeContext` decides that and calls in.
 */
export class SenderKeys {
  private own: OwnKey;
  private readonly peers = new Map<string, PeerChain>();
  private readonly aead: AeadProvider;
  private readonly now: () => number;
  private readonly graceMs: number;
  private readonly windowSize: number;

  constructor(options: SenderKeysOptions = {}) {
    this.aead = options.aead ?? defaultAeadProvider();
    this.now = options.now ?? Date.now;
    this.graceMs = options.keyGraceMs ?? DEFAULT_KEY_GRACE_MS;
    this.windowSize = options.replayWindow ?? DEFAULT_REPLAY_WINDOW;
    this.own = this.ownKey(0, 0, randomBytes(AES_128_GCM_SHA256_128.nk));
  }

  /** KID of the key our next frame is encrypted with. */
  get currentKid(): bigint {
    return this.own.kid;
  }

  /** Our current key, to wrap for a peer. From now on it counts as given out. */
  share(): SenderKeyShare {
    this.own.exposed = true;
    return { kid: this.own.kid, baseKey: this.own.baseKey.slice() };
  }

  /**
   * Someone joined: move our key one ratchet step on, so the joiner cannot
   * read earlier frames. Returns false (and does nothing) when the current key
   * was never used nor given out: then there is nothing to protect.
   */
  ratchet(): boolean {
    const old = this.own;
    if (!old.exposed) return false;
    if (old.step + 1 >= Number.MAX_SAFE_INTEGER) return this.rotate();
    this.own = this.ownKey(old.generation, old.step + 1, ratchetBaseKey(old.baseKey));
    old.baseKey.fill(0);
    return true;
  }

  /**
   * Someone left: a new generation with a fresh random key, which the leaver
   * cannot derive. Returns false when the current key was never used nor given out.
   * The caller gives the new key to every remaining peer.
   */
  rotate(): boolean {
    const old = this.own;
    if (!old.exposed) return false;
    if (old.generation + 1 >= MAX_GENERATION) throw new E2eeError('e2ee-invalid-state', 'Out of key generations.');
    this.own = this.ownKey(old.generation + 1, 0, randomBytes(AES_128_GCM_SHA256_128.nk));
    old.baseKey.fill(0);
    return true;
  }

  /**
   * Encrypts one frame with our current key and the next counter. The counter
   * is taken when this is called, so frames encrypted concurrently never share one.
   */
  encrypt(metadata: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array> {
    const own = this.own;
    if (own.ctr >= MAX_COUNTER) {
      return Promise.reject(new E2eeError('e2ee-invalid-state', 'Counter exhausted; rotate the key.'));
    }
    own.exposed = true;
    const ctr = own.ctr++;
    return own.key.then((key) => key.encrypt(ctr, metadata, plaintext));
  }

  /**
   * Takes a key a peer shared for `kid`. A newer key (a later generation, or a
   * later ratchet step of the current one) becomes the sender's current key and
   * the previous one starts its grace period. An older key is refused (`stale`):
   * a replayed old share must not bring back a key whose frames could then be
   * replayed.
   */
  installPeerKey(senderId: string, kid: bigint, baseKey: Uint8Array): InstallResult {
    const parts = splitKid(kid);
    if (!parts) return 'stale';
    const chain = this.peers.get(senderId);
    if (!chain) {
      const entry = this.peerKey(kid, parts.generation, parts.step, baseKey);
      this.peers.set(senderId, { current: entry, keys: new Map([[kid, entry]]), ahead: new Map() });
      return 'installed';
    }
    this.prune(chain);
    if (chain.keys.has(kid)) return 'duplicate';
    const current = chain.current;
    const newer =
      parts.generation > current.generation ||
      (parts.generation === current.generation && this.isAhead(current.step, parts.step));
    if (!newer) return 'stale';
    // The step may already be derived (and in use) from the ratchet: keep that entry and its replay window.
    const derived = chain.ahead.get(kid);
    this.promote(
      chain,
      derived && equalBytes(derived.baseKey, baseKey)
        ? derived
        : this.peerKey(kid, parts.generation, parts.step, baseKey),
    );
    return 'installed';
  }

  /** Whether we hold any key of `senderId`. */
  hasPeer(senderId: string): boolean {
    return this.peers.has(senderId);
  }

  /**
   * Whether `kid` from `senderId` is newer than any key we hold of it: a key
   * still to come (worth asking for), as opposed to one already dropped.
   */
  isAwaited(senderId: string, kid: bigint): boolean {
    const chain = this.peers.get(senderId);
    const parts = splitKid(kid);
    if (!parts) return false;
    if (!chain) return true;
    const { generation, step } = chain.current;
    if (parts.generation !== generation) return parts.generation > generation;
    const ahead = stepsAhead(step, parts.step);
    return ahead > 0 && ahead < RATCHET_MODULO / 2;
  }

  /**
   * Decrypts a frame from `senderId`, whose SFrame ciphertext is `ciphertext`
   * and whose routing header gave `metadata`. Rejects with an {@link E2eeError}:
   * `e2ee-malformed` (bad header), `e2ee-unknown-key` (no such key, or no longer),
   * `e2ee-replay` (seen, or older than the window) or `e2ee-decrypt-failed`.
   */
  async decrypt(senderId: string, metadata: Uint8Array, ciphertext: Uint8Array): Promise<Uint8Array> {
    const header = parseSFrameHeader(ciphertext);
    const chain = this.peers.get(senderId);
    if (!chain) throw new E2eeError('e2ee-unknown-key', `No key from ${senderId} yet.`);
    this.prune(chain);
    let entry = chain.keys.get(header.kid);
    const candidate = entry ? undefined : this.ratchetCandidate(chain, header.kid);
    entry ??= candidate?.entry;
    if (!entry) throw new E2eeError('e2ee-unknown-key', `No key ${header.kid} from ${senderId}.`);
    if (entry.window.check(header.ctr) !== 'ok') {
      throw new E2eeError('e2ee-replay', `Frame ${header.ctr} under key ${header.kid} replayed or too old.`);
    }
    const key = await entry.key;
    const plaintext = await key.decrypt(header, ciphertext, metadata);
    // Checked again: another copy of this frame may have been accepted while we waited.
    if (!entry.window.accept(header.ctr)) {
      throw new E2eeError('e2ee-replay', `Frame ${header.ctr} under key ${header.kid} replayed.`);
    }
    // Only a frame that authenticated moves a sender's ratchet: a forged KID changes nothing.
    if (candidate && this.peers.get(senderId) === chain && !chain.keys.has(entry.kid)) {
      if (entry.generation === chain.current.generation && this.isAhead(chain.current.step, entry.step)) {
        this.promote(chain, entry);
      } else {
        // A step of a replaced key (frames sent just before a new generation): usable as long as that key.
        entry.expiresAt = candidate.base.expiresAt;
        chain.keys.set(entry.kid, entry);
      }
    }
    return plaintext;
  }

  /** Forgets every key of `senderId` (it left). */
  removePeer(senderId: string): void {
    const chain = this.peers.get(senderId);
    if (!chain) return;
    for (const entry of [...chain.keys.values(), ...chain.ahead.values()]) entry.baseKey.fill(0);
    this.peers.delete(senderId);
  }

  /** Forgets every key, ours included. The instance is unusable afterwards. */
  clear(): void {
    for (const id of [...this.peers.keys()]) this.removePeer(id);
    this.own.baseKey.fill(0);
    this.own.ctr = MAX_COUNTER;
  }

  private isAhead(from: number, to: number): boolean {
    const steps = stepsAhead(from, to);
    return steps >= 1 && steps <= MAX_RATCHET_AHEAD;
  }

  /**
   * The key for `kid` if it is a ratchet step a little ahead of a key we hold
   * for this sender (its current one, or one in its grace period), with that key.
   */
  private ratchetCandidate(chain: PeerChain, kid: bigint): { entry: PeerKey; base: PeerKey } | undefined {
    const parts = splitKid(kid);
    if (!parts) return undefined;
    let base: PeerKey | undefined;
    for (const entry of chain.keys.values()) {
      if (entry.generation !== parts.generation || !this.isAhead(entry.step, parts.step)) continue;
      if (!base || stepsAhead(entry.step, parts.step) < stepsAhead(base.step, parts.step)) base = entry;
    }
    if (!base) return undefined;
    let previous = base;
    for (let n = 1; n <= stepsAhead(base.step, parts.step); n++) {
      const step = (base.step + n) % RATCHET_MODULO;
      const stepKid = makeKid(base.generation, step);
      let next = chain.keys.get(stepKid) ?? chain.ahead.get(stepKid);
      if (!next) {
        next = this.peerKey(stepKid, base.generation, step, ratchetBaseKey(previous.baseKey));
        chain.ahead.set(stepKid, next);
      }
      previous = next;
    }
    return { entry: previous, base };
  }

  /** Makes `entry` the sender's current key; what it replaces (and skipped steps) stay for the grace period. */
  private promote(chain: PeerChain, entry: PeerKey): void {
    const expiresAt = this.now() + this.graceMs;
    chain.current.expiresAt = Math.min(chain.current.expiresAt, expiresAt);
    for (const skipped of chain.ahead.values()) {
      if (skipped.generation === entry.generation && this.isAhead(skipped.step, entry.step)) {
        skipped.expiresAt = expiresAt;
        chain.keys.set(skipped.kid, skipped);
      }
    }
    entry.expiresAt = Infinity;
    chain.keys.set(entry.kid, entry);
    chain.current = entry;
    // Derived steps at or before the new current one are either kept above or useless now.
    for (const [kid, ahead] of chain.ahead) {
      if (!(ahead.generation === entry.generation && this.isAhead(entry.step, ahead.step))) chain.ahead.delete(kid);
    }
  }

  private prune(chain: PeerChain): void {
    const now = this.now();
    for (const [kid, entry] of chain.keys) {
      if (entry.expiresAt <= now) {
        entry.baseKey.fill(0);
        chain.keys.delete(kid);
      }
    }
  }

  private ownKey(generation: number, step: number, baseKey: Uint8Array): OwnKey {
    const kid = makeKid(generation, step);
    const key = SFrameKey.fromBaseKey(baseKey, kid, this.aead);
    key.catch(() => undefined); // surfaced by encrypt()
    return { generation, step, kid, baseKey, key, ctr: 0n, exposed: false };
  }

  private peerKey(kid: bigint, generation: number, step: number, baseKey: Uint8Array): PeerKey {
    const key = SFrameKey.fromBaseKey(baseKey, kid, this.aead);
    key.catch(() => undefined); // surfaced by decrypt()
    return { kid, generation, step, baseKey, key, window: new ReplayWindow(this.windowSize), expiresAt: Infinity };
  }
}
