import {
  deriveRoomSecret,
  E2eeContext,
  type MediaFrameFields,
  type PeerSecurity,
  type RoomSecret,
} from '../e2ee/index.js';
import type { EnvelopeInit, MediaFrameInit } from '../protocol/envelope.js';
import { keyExchangeFromWire, keyExchangeToWire, type KeyExchangeInit } from './key-exchange-wire.js';
import { VideoCallError, type VideoCallErrorCode } from './errors.js';

/** What the room does for the end-to-end encryption of its media. */
export interface MediaCryptoHooks {
  /** Send a control envelope (a key-exchange message) to the relay. */
  sendControl(message: EnvelopeInit): void;
  /** Our key changed or a peer just got it: send a keyframe. */
  keyframeNeeded(): void;
  /** Ask `peerId` for a keyframe: its key arrived after frames we had to drop. */
  requestKeyframeFrom(peerId: string): void;
  /** A peer's verification status or safety code changed. */
  securityChanged(peer: PeerSecurity): void;
  /** A peer failed verification (wrong passphrase, or keys swapped by the relay). */
  error(error: VideoCallError): void;
}

/**
 * The room's end-to-end encryption: turns E2eeContext's key-exchange messages
 * into envelopes and back, and encrypts/decrypts media frames whose routing
 * header stays clear for the relay but authenticated.
 */
export class MediaCrypto {
  private constructor(private readonly e2ee: E2eeContext) {}

  /**
   * Stretches the passphrase (scrypt, ~0.2 s) while the page does other joining
   * work; resolves to null without one.
   */
  static prepareSecret(passphrase: string | undefined, room: string): Promise<RoomSecret | null> {
    return passphrase ? deriveRoomSecret(passphrase, room) : Promise.resolve(null);
  }

  /** Starts encryption once the relay gave us our session id. */
  static start(room: string, sessionId: string, roomSecret: RoomSecret | null, hooks: MediaCryptoHooks): MediaCrypto {
    const e2ee = new E2eeContext({
      room,
      sessionId,
      roomSecret,
      send: (message) => hooks.sendControl({ keyExchange: keyExchangeToWire(message) }),
    });
    e2ee.addEventListener('keyframe-needed', () => hooks.keyframeNeeded());
    e2ee.addEventListener('keyframe-request', (e) => hooks.requestKeyframeFrom(e.peerId));
    e2ee.addEventListener('peer-security', (e) => hooks.securityChanged(e.peer));
    e2ee.addEventListener('error', (e) => {
      const message =
        e.error.code === 'e2ee-key-mismatch'
          ? 'Someone in this call uses a different passphrase (or the relay tampered with the keys): their media is blocked.'
          : e.error.message;
      hooks.error(new VideoCallError(e.error.code as VideoCallErrorCode, message, { cause: e.error }));
    });
    return new MediaCrypto(e2ee);
  }

  /** True when keys are bound to a passphrase. */
  get passphraseProtected(): boolean {
    return this.e2ee.passphraseProtected;
  }

  securityOf(peerId: string): PeerSecurity {
    return this.e2ee.securityOf(peerId);
  }

  peerJoined(peerId: string): void {
    this.e2ee.onPeerJoined(peerId);
  }

  peerLeft(peerId: string): void {
    this.e2ee.onPeerLeft(peerId);
  }

  receiveKeyExchange(from: string, message: KeyExchangeInit): void {
    const received = keyExchangeFromWire(message);
    // Unknown step: ignored, like any malformed key message (E2eeContext drops wrong sizes).
    if (received) this.e2ee.receiveKeyExchange(from, received);
  }

  /** Our frame's payload as SFrame ciphertext; `frame` (all but the payload) is authenticated. */
  encrypt(frame: MediaFrameFields, payload: Uint8Array): Promise<Uint8Array> {
    return this.e2ee.encryptFrame(frame, payload);
  }

  /** A received frame's plaintext payload; rejects (drop the frame) on any failure. */
  decrypt(from: string, frame: MediaFrameInit): Promise<Uint8Array> {
    return this.e2ee.decryptFrame(from, frame, frame.payload ?? new Uint8Array(0));
  }

  /** A chat message's content (an encoded `ChatContent`) sealed for `to` (empty: everyone). */
  sealChat(to: readonly string[], plaintext: Uint8Array): Promise<Uint8Array> {
    return this.e2ee.encryptChat(to, plaintext);
  }

  /** A sealed chat message's content; rejects (drop it, or retry on `e2ee-unknown-key`) on any failure. */
  openChat(from: string, to: readonly string[], sealed: Uint8Array): Promise<Uint8Array> {
    return this.e2ee.decryptChat(from, to, sealed);
  }

  close(): void {
    this.e2ee.close();
  }
}
