import {
  deriveRoomSecret,
  E2eeContext,
  KEY_EXCHANGE_STEP_VALUES,
  keyExchangeStepOf,
  validateKeyExchange,
  type KeyExchangeMessage,
  type MediaFrameFields,
  type PeerSecurity,
  type RoomSecret,
} from '../e2ee/index.js';
import type { EnvelopeInit, MediaFrameInit } from '../protocol/envelope.js';
import type { videocall } from '../protocol/gen/videocall.js';
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
      send: (message) => hooks.sendControl({ keyExchange: toWire(message) }),
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

  receiveKeyExchange(from: string, message: videocall.KeyExchange.$Properties): void {
    const step = keyExchangeStepOf(message.step ?? 0);
    if (!step) return; // unknown step: ignore, like any malformed key message
    const received: KeyExchangeMessage = {
      target: message.target ?? '',
      step,
      data: message.data ?? new Uint8Array(0),
      mac: message.mac ?? new Uint8Array(0),
      kid: BigInt(message.kid ?? 0),
    };
    try {
      validateKeyExchange(received);
    } catch {
      return; // wrong sizes for its step: dropped before the handshake sees it
    }
    this.e2ee.receiveKeyExchange(from, received);
  }

  /** Our frame's payload as SFrame ciphertext; `frame` (all but the payload) is authenticated. */
  encrypt(frame: MediaFrameFields, payload: Uint8Array): Promise<Uint8Array> {
    return this.e2ee.encryptFrame(frame, payload);
  }

  /** A received frame's plaintext payload; rejects (drop the frame) on any failure. */
  decrypt(from: string, frame: MediaFrameInit): Promise<Uint8Array> {
    return this.e2ee.decryptFrame(from, frame, frame.payload ?? new Uint8Array(0));
  }

  close(): void {
    this.e2ee.close();
  }
}

function toWire(message: KeyExchangeMessage): videocall.KeyExchange.$Properties {
  return {
    target: message.target,
    step: KEY_EXCHANGE_STEP_VALUES[message.step],
    data: message.data,
    mac: message.mac,
    // Key ids stay far below 2^53 (a generation and a ratchet step).
    kid: Number(message.kid),
  };
}
