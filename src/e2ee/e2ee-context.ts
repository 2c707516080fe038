/**
 * The end-to-end encryption of one participant in one call: what the Room
 * calls. It runs the key exchange with every peer (`key-exchange.ts`), hands
 * out and collects sender keys (`sender-keys.ts`), and encrypts and decrypts
 * media frames as SFrame with their routing header authenticated
 * (`media-metadata.ts`).
 *
 * The Room's part:
 * - `onPeerJoined` for everyone in `Welcome.roster` and each `PeerJoined`;
 *   `onPeerLeft` for each `PeerLeft`.
 * - Send what `send` is given as an `Envelope{keyExchange}` (it is addressed to
 *   `message.target`); hand each received one to `receiveKeyExchange` with the
 *   envelope's `from`.
 * - `MediaFrame.payload = await encryptFrame(header, data)` before sending;
 *   `data = await decryptFrame(from, frame, frame.payload)` before decoding,
 *   dropping the frame when it rejects.
 * - On `keyframe-needed`, make the encoder send a keyframe; on
 *   `keyframe-request`, send `KeyframeRequest{target: peerId}`; show
 *   `peer-security` (verified, safety code, mismatch) and `error`.
 */
import { TypedEventTarget } from '../shared/typed-event-target.js';
import { E2eeError } from './errors.js';
import {
  E2eeErrorEvent,
  KeyframeNeededEvent,
  KeyframeRequestEvent,
  PeerSecurityEvent,
  type E2eeEventMap,
  type PeerSecurity,
  type PeerVerification,
} from './events.js';
import {
  deriveRoomSecret,
  normalizePassphrase,
  PairHandshake,
  unwrapSenderKey,
  type HandshakeStep,
  wrapSenderKey,
  type RoomSecret,
} from './key-exchange.js';
import { validateKeyExchange, type KeyExchangeMessage } from './key-messages.js';
import { chatMetadata } from './chat-metadata.js';
import { mediaFrameMetadata, type MediaFrameFields } from './media-metadata.js';
import { SenderKeys, type SenderKeysOptions } from './sender-keys.js';
import { parseSFrameHeader } from './sframe-header.js';

/**
 * Least time between two key requests to one peer, between two answers to one
 * peer's requests, and between two nudges of a stalled exchange with one peer.
 */
const KEY_REQUEST_INTERVAL_MS = 1000;

/** How to set up an {@link E2eeContext}; the {@link SenderKeysOptions} tune our and our peers' keys. */
export interface E2eeContextOptions extends SenderKeysOptions {
  /** Room name, as joined. */
  room: string;
  /** Our session id, from `Welcome`. */
  sessionId: string;
  /**
   * Room passphrase (the `passphrase` attribute or `#vc-key=`); binds every key
   * to it. Derived with a slow KDF in {@link E2eeContext.create}; pass
   * {@link roomSecret} instead to derive it earlier.
   */
  passphrase?: string | null;
  /** The passphrase already derived with `deriveRoomSecret`. */
  roomSecret?: RoomSecret | null;
  /** Sends a key-exchange message to `message.target` (and only there). */
  send: (message: KeyExchangeMessage) => void;
}

/** Makes promises resolve in the order they were queued, without running them one at a time. */
class InOrder {
  private tail: Promise<unknown> = Promise.resolve();

  add<T>(work: Promise<T>): Promise<T> {
    work.catch(() => undefined); // handled by the caller, through `result`
    const result = this.tail.then(() => work);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

interface Peer {
  id: string;
  /** The exchange whose pairwise key is in use once complete. */
  handshake: PairHandshake;
  /** The initiator's COMMIT of {@link handshake}, kept to send again; null for a responder. */
  opening: KeyExchangeMessage | null;
  /**
   * A second exchange, run beside a complete one because the peer met us anew
   * (it lost sight of us); it replaces {@link handshake} once complete.
   */
  restart: PairHandshake | null;
  /** The initiator's COMMIT of {@link restart}. */
  restartOpening: KeyExchangeMessage | null;
  status: PeerVerification;
  /** We gave this peer one of our keys. */
  keyed: boolean;
  /** We dropped its frames for want of a key it has not sent yet. */
  missingKey: boolean;
  lastRequestAt: number;
  lastAnswerAt: number;
  /** When we last prodded an exchange with this peer that had not completed (see `nudge`). */
  lastNudgeAt: number;
  decrypts: InOrder;
}

function describePeer(peer: Peer): PeerSecurity {
  return { peerId: peer.id, status: peer.status, safetyCode: peer.handshake.safetyCode };
}

/**
 * One participant's end-to-end encryption state in a room: its sender keys
 * and the pairwise key exchange with each peer. (Not a "session": that word
 * is the relay's, as in `sessionId`.) Events:
 * `keyframe-needed`, `keyframe-request`, `peer-security`, `error` (see `events.ts`).
 *
 * @example
 * ```ts
 * const e2ee = await E2eeContext.create({ room, sessionId, passphrase, send: (m) => sendControl({ keyExchange: keyExchangeToWire(m) }) });
 * e2ee.addEventListener('keyframe-needed', () => local.requestKeyframe());
 * for (const p of welcome.roster) e2ee.onPeerJoined(p.id);
 * const payload = await e2ee.encryptFrame(header, media.data);
 * ```
 */
export class E2eeContext extends TypedEventTarget<E2eeEventMap> {
  readonly room: string;
  readonly sessionId: string;
  private readonly secret: RoomSecret | null;
  private readonly send: (message: KeyExchangeMessage) => void;
  private readonly keys: SenderKeys;
  private readonly now: () => number;
  private readonly peers = new Map<string, Peer>();
  private readonly encrypts = new InOrder();
  private closed = false;

  /**
   * A context with the passphrase, if any, already derived (about 0.2 s of
   * scrypt; see `PASSPHRASE_SCRYPT`).
   */
  static async create(options: E2eeContextOptions): Promise<E2eeContext> {
    let secret = options.roomSecret ?? null;
    const passphrase = options.passphrase ? normalizePassphrase(options.passphrase) : '';
    if (!secret && passphrase) secret = await deriveRoomSecret(passphrase, options.room);
    return new E2eeContext({ ...options, passphrase: null, roomSecret: secret });
  }

  /** Synchronous construction; a `passphrase` must come derived, as `roomSecret` (or use {@link create}). */
  constructor(options: E2eeContextOptions) {
    super();
    if (options.passphrase && !options.roomSecret) {
      throw new E2eeError('e2ee-invalid-state', 'Derive the passphrase first: use E2eeContext.create().');
    }
    if (!options.sessionId) throw new E2eeError('e2ee-invalid-state', 'The session id is needed (from Welcome).');
    this.room = options.room;
    this.sessionId = options.sessionId;
    this.secret = options.roomSecret ?? null;
    this.send = options.send;
    this.now = options.now ?? Date.now;
    this.keys = new SenderKeys({
      aead: options.aead,
      now: this.now,
      keyGraceMs: options.keyGraceMs,
      replayWindow: options.replayWindow,
    });
  }

  /** True when keys are bound to a room passphrase. */
  get passphraseProtected(): boolean {
    return this.secret !== null;
  }

  /** The KID our frames are encrypted under now. */
  get currentKid(): bigint {
    return this.keys.currentKid;
  }

  /** Where each peer's keys stand. */
  get peerSecurity(): PeerSecurity[] {
    return [...this.peers.values()].map(describePeer);
  }

  /** Where `peerId`'s keys stand (`pending`, without a code, for someone we have not met). */
  securityOf(peerId: string): PeerSecurity {
    const peer = this.peers.get(peerId);
    return peer ? describePeer(peer) : { peerId, status: 'pending', safetyCode: null };
  }

  /**
   * Someone is in the room (from the roster or `PeerJoined`): start the key
   * exchange, and move our key one ratchet step on so the newcomer cannot read
   * what we sent before. Idempotent.
   */
  onPeerJoined(peerId: string): void {
    if (this.closed || !peerId || peerId === this.sessionId) return;
    this.peer(peerId);
  }

  /**
   * Someone left: forget its keys and, if it ever had ours, replace our key
   * and give the new one to everyone else, then ask for a keyframe.
   */
  onPeerLeft(peerId: string): void {
    const peer = this.peers.get(peerId);
    if (this.closed || !peer) return;
    this.peers.delete(peerId);
    this.keys.removePeer(peerId);
    if (!peer.keyed || !this.keys.rotate()) return;
    for (const other of this.peers.values()) if (this.canShare(other)) this.shareWith(other);
    this.emit(new KeyframeNeededEvent('key-rotated'));
  }

  /**
   * Handles a key-exchange message that the relay stamped as coming from
   * `fromId`. Malformed (wrong sizes for its step) or out-of-turn messages are
   * ignored; a failed verification marks the peer `mismatch` and emits `error`.
   */
  receiveKeyExchange(fromId: string, message: KeyExchangeMessage): void {
    if (this.closed || !fromId || fromId === this.sessionId || message.target !== this.sessionId) return;
    try {
      validateKeyExchange(message);
    } catch {
      return; // dropped before the handshake sees it
    }
    switch (message.step) {
      case 'commit':
      case 'reveal':
        return this.onHandshake(this.peer(fromId), message);
      case 'share':
        return this.onShare(fromId, message);
      case 'request':
        return this.onKeyRequest(fromId);
      case 'restart':
        return this.onRestartAsked(this.peer(fromId));
    }
  }

  /**
   * Encrypts one of our frames: the SFrame ciphertext to send as
   * `MediaFrame.payload`, with `header` (every other `MediaFrame` field) and
   * our session id authenticated. Results come in call order.
   */
  encryptFrame(header: MediaFrameFields, payload: Uint8Array): Promise<Uint8Array> {
    if (this.closed) return Promise.reject(new E2eeError('e2ee-invalid-state', 'The E2EE context is closed.'));
    let metadata: Uint8Array;
    try {
      metadata = mediaFrameMetadata(this.sessionId, header);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.encrypts.add(this.keys.encrypt(metadata, payload));
  }

  /**
   * Decrypts a frame the relay stamped as from `senderId`; `frame` is its
   * routing header and `payload` the SFrame ciphertext. Results for one sender
   * come in call order. Rejects with an {@link E2eeError} (drop the frame):
   * `e2ee-decrypt-failed` (altered, including any routing header field),
   * `e2ee-replay`, `e2ee-unknown-key` (its key has not arrived: it is asked
   * for, and `keyframe-request` follows when it does), `e2ee-key-mismatch`
   * (the sender failed verification) or `e2ee-malformed`.
   */
  decryptFrame(senderId: string, frame: MediaFrameFields, payload: Uint8Array): Promise<Uint8Array> {
    if (this.closed) return Promise.reject(new E2eeError('e2ee-invalid-state', 'The E2EE context is closed.'));
    const peer = this.peers.get(senderId);
    if (peer?.status === 'mismatch') {
      return Promise.reject(
        new E2eeError('e2ee-key-mismatch', `${senderId} failed key verification; its media is refused.`),
      );
    }
    let metadata: Uint8Array;
    try {
      metadata = mediaFrameMetadata(senderId, frame);
    } catch (error) {
      return Promise.reject(error);
    }
    const work = this.keys.decrypt(senderId, metadata, payload).catch((error: unknown) => {
      if (peer && error instanceof E2eeError && error.code === 'e2ee-unknown-key') this.onMissingKey(peer, payload);
      throw error;
    });
    return peer ? peer.decrypts.add(work) : work;
  }

  /**
   * Seals one of our chat or app-data messages (`plaintext`, an encoded
   * `ChatContent`) to `to` (empty: everyone) under our sender key, in the chat
   * domain (`chat-metadata.ts`): the counter is shared with our media frames, so
   * no nonce repeats, and the metadata keeps a chat from passing as media.
   */
  encryptChat(to: readonly string[], plaintext: Uint8Array): Promise<Uint8Array> {
    if (this.closed) return Promise.reject(new E2eeError('e2ee-invalid-state', 'The E2EE context is closed.'));
    let metadata: Uint8Array;
    try {
      metadata = chatMetadata(this.sessionId, to);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.encrypts.add(this.keys.encrypt(metadata, plaintext));
  }

  /**
   * Opens a sealed chat message the relay stamped as from `senderId`, addressed
   * to `to`. Rejects like {@link decryptFrame}; with `e2ee-unknown-key` the key
   * is asked for, and the caller may try again once it came.
   */
  decryptChat(senderId: string, to: readonly string[], sealed: Uint8Array): Promise<Uint8Array> {
    if (this.closed) return Promise.reject(new E2eeError('e2ee-invalid-state', 'The E2EE context is closed.'));
    const peer = this.peers.get(senderId);
    if (peer?.status === 'mismatch') {
      return Promise.reject(
        new E2eeError('e2ee-key-mismatch', `${senderId} failed key verification; its messages are refused.`),
      );
    }
    let metadata: Uint8Array;
    try {
      metadata = chatMetadata(senderId, to);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.keys.decrypt(senderId, metadata, sealed).catch((error: unknown) => {
      if (peer && error instanceof E2eeError && error.code === 'e2ee-unknown-key') this.onMissingKey(peer, sealed);
      throw error;
    });
  }

  /**
   * Marks an `unverified` peer `verified` once people compared its safety code
   * and found it equal. Returns false when there was nothing to confirm.
   */
  confirmSafetyCode(peerId: string): boolean {
    const peer = this.peers.get(peerId);
    if (!peer || peer.status !== 'unverified') return false;
    peer.status = 'verified';
    this.emit(new PeerSecurityEvent(describePeer(peer)));
    return true;
  }

  /** Forgets every key. Further calls are refused or ignored. */
  close(): void {
    this.closed = true;
    this.keys.clear();
    this.peers.clear();
  }

  /** The peer `peerId`, created (and the exchange started) on first mention. */
  private peer(peerId: string): Peer {
    let peer = this.peers.get(peerId);
    if (peer) return peer;
    const handshake = this.newHandshake(peerId);
    peer = {
      id: peerId,
      handshake,
      opening: handshake.start(),
      restart: null,
      restartOpening: null,
      status: 'pending',
      keyed: false,
      missingKey: false,
      lastRequestAt: -Infinity,
      lastAnswerAt: -Infinity,
      lastNudgeAt: this.now(),
      decrypts: new InOrder(),
    };
    this.peers.set(peerId, peer);
    // A newcomer gets only keys from after its arrival: step our ratchet before it can get one.
    this.keys.ratchet();
    // The initiator opens; the responder says it is here, in case the initiator knew it before
    // and still holds a finished exchange with it (it would send no COMMIT by itself).
    this.send(peer.opening ?? restartMessage(peerId));
    this.emit(new PeerSecurityEvent(describePeer(peer)));
    return peer;
  }

  private newHandshake(peerId: string): PairHandshake {
    return new PairHandshake({ room: this.room, selfId: this.sessionId, peerId, secret: this.secret });
  }

  private onHandshake(peer: Peer, message: KeyExchangeMessage): void {
    if (peer.status === 'mismatch') return;
    const main = peer.handshake;
    if (message.step === 'commit' && main.role === 'responder' && main.state !== 'waiting-commit') {
      if (main.hasCommitment(message.data)) {
        // A copy of the COMMIT we answered: the initiator lost our REVEAL, or the copy is late.
        const again = main.revealAgain();
        if (again) this.send(again);
        return;
      }
      if (main.state === 'complete') return this.onRestartCommit(peer, message);
      if (main.state === 'waiting-final-reveal') peer.handshake = this.newHandshake(peer.id); // it started over first
    }
    if (message.step === 'reveal' && peer.restart && main.state === 'complete')
      return this.onRestartReveal(peer, message);
    let step: HandshakeStep;
    try {
      step = peer.handshake.receive(message);
    } catch {
      return; // out of turn: ignored
    }
    if (step.reply) this.send(step.reply);
    if (step.failure) {
      peer.status = 'mismatch';
      this.keys.removePeer(peer.id);
      this.emit(new PeerSecurityEvent(describePeer(peer)));
      this.emit(new E2eeErrorEvent(step.failure, peer.id));
    } else if (peer.status === 'pending' && peer.handshake.state === 'complete') {
      peer.status = this.secret ? 'verified' : 'unverified';
      this.emit(new PeerSecurityEvent(describePeer(peer)));
      this.shareWith(peer);
      this.emit(new KeyframeNeededEvent('peer-keyed'));
    }
  }

  /**
   * A COMMIT from an initiator we finished an exchange with: it met us anew.
   * Answer it in a second exchange; the first stays in use until that completes.
   */
  private onRestartCommit(peer: Peer, message: KeyExchangeMessage): void {
    if (peer.restart?.hasCommitment(message.data)) {
      const again = peer.restart.revealAgain();
      if (again) this.send(again);
      return;
    }
    const restart = this.newHandshake(peer.id);
    let step: HandshakeStep;
    try {
      step = restart.receive(message);
    } catch {
      return;
    }
    // Not from the peer (a genuine one carries the passphrase MAC the first exchange verified):
    // nothing changes, so nothing to report; the peer, had it really started over, reports the mismatch.
    if (step.failure) return;
    peer.restart = restart;
    peer.restartOpening = null;
    if (step.reply) this.send(step.reply);
  }

  /** A REVEAL of the second exchange with `peer`. */
  private onRestartReveal(peer: Peer, message: KeyExchangeMessage): void {
    const restart = peer.restart!;
    let step: HandshakeStep;
    try {
      step = restart.receive(message);
    } catch {
      return; // out of turn: ignored
    }
    if (step.failure) {
      // As above: the keys in use stay; the peer's side of this exchange reports the mismatch.
      peer.restart = null;
      peer.restartOpening = null;
      return;
    }
    if (step.reply) this.send(step.reply);
    if (restart.state !== 'complete') return;
    // New keys: verified again by the passphrase, or a new safety code for people to compare.
    peer.handshake = restart;
    peer.restart = null;
    peer.restartOpening = null;
    peer.status = this.secret ? 'verified' : 'unverified';
    this.emit(new PeerSecurityEvent(describePeer(peer)));
    this.shareWith(peer);
    this.emit(new KeyframeNeededEvent('peer-keyed'));
  }

  /**
   * The peer asks us, its initiator, to open an exchange: it met us anew, or a
   * message of ours was lost. Resend the COMMIT of an exchange under way; after a
   * finished one, open a second.
   */
  private onRestartAsked(peer: Peer): void {
    if (peer.status === 'mismatch' || peer.handshake.role !== 'initiator') return;
    const now = this.now();
    if (now - peer.lastNudgeAt < KEY_REQUEST_INTERVAL_MS) return;
    peer.lastNudgeAt = now;
    if (peer.handshake.state !== 'complete') {
      if (peer.opening) this.send(peer.opening);
      return;
    }
    if (!peer.restart) {
      peer.restart = this.newHandshake(peer.id);
      peer.restartOpening = peer.restart.start();
    }
    if (peer.restartOpening) this.send(peer.restartOpening);
  }

  /**
   * Something of `peer` came that only a finished exchange could use (a frame
   * or chat under its key, its key share or key request): if ours has stalled
   * (a message lost, or the peer holds an older exchange), prod it, at most once
   * a second. The initiator sends its COMMIT again; the responder asks for one.
   */
  private nudge(peer: Peer): void {
    if (peer.status === 'mismatch' || peer.handshake.state === 'complete') return;
    const now = this.now();
    if (now - peer.lastNudgeAt < KEY_REQUEST_INTERVAL_MS) return;
    peer.lastNudgeAt = now;
    this.send(peer.opening ?? restartMessage(peer.id));
  }

  private onShare(fromId: string, message: KeyExchangeMessage): void {
    const peer = this.peers.get(fromId);
    if (peer && !this.canShare(peer)) this.nudge(peer);
    if (!peer || !this.canShare(peer)) return;
    let baseKey: Uint8Array;
    try {
      baseKey = unwrapSenderKey(
        peer.handshake.pairwiseKey!,
        { room: this.room, from: fromId, to: this.sessionId, kid: message.kid },
        message.data,
      );
    } catch {
      return; // not from this peer's pairwise key: forged or damaged
    }
    const result = this.keys.installPeerKey(fromId, message.kid, baseKey);
    if (result === 'installed' && peer.missingKey) {
      peer.missingKey = false;
      this.emit(new KeyframeRequestEvent(fromId));
    }
  }

  private onKeyRequest(fromId: string): void {
    const peer = this.peers.get(fromId);
    if (peer && !this.canShare(peer)) this.nudge(peer);
    if (!peer || !this.canShare(peer)) return;
    const now = this.now();
    if (now - peer.lastAnswerAt < KEY_REQUEST_INTERVAL_MS) return;
    peer.lastAnswerAt = now;
    this.shareWith(peer);
    this.emit(new KeyframeNeededEvent('peer-keyed'));
  }

  /** A frame of `peer` under a key we lack: remember it, and ask for the key if it is one still to come. */
  private onMissingKey(peer: Peer, payload: Uint8Array): void {
    let kid: bigint;
    try {
      kid = parseSFrameHeader(payload).kid;
    } catch {
      return;
    }
    if (!this.keys.isAwaited(peer.id, kid)) return; // an old key, gone for good
    peer.missingKey = true;
    // Before the exchange completes the key comes with it (prodded, should it have stalled); after, ask.
    if (!this.canShare(peer)) return this.nudge(peer);
    const now = this.now();
    if (now - peer.lastRequestAt < KEY_REQUEST_INTERVAL_MS) return;
    peer.lastRequestAt = now;
    this.send({ target: peer.id, step: 'request', data: new Uint8Array(0), mac: new Uint8Array(0), kid });
  }

  private canShare(peer: Peer): boolean {
    return peer.handshake.state === 'complete' && peer.status !== 'mismatch';
  }

  private shareWith(peer: Peer): void {
    const { kid, baseKey } = this.keys.share();
    const data = wrapSenderKey(
      peer.handshake.pairwiseKey!,
      { room: this.room, from: this.sessionId, to: peer.id, kid },
      baseKey,
    );
    baseKey.fill(0);
    peer.keyed = true;
    this.send({ target: peer.id, step: 'share', data, mac: new Uint8Array(0), kid });
  }
}

/** RESTART to `peerId`: "open an exchange with me". */
function restartMessage(peerId: string): KeyExchangeMessage {
  return { target: peerId, step: 'restart', data: new Uint8Array(0), mac: new Uint8Array(0), kid: 0n };
}
