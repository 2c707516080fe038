import {
  deriveRoomSecret,
  E2eeSession,
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
 * The room's end-to-end encryption: turns E2eeSession's key-exchange messages
 * into envelopes and back, and encrypts/decrypts media frames whose routing
 * header stays clear for the relay but authenticated.
 */
export class MediaCrypto {
  private constructor(private readonly session: E2eeSession) {}

  /**
   * Stretches the passphrase (scrypt, ~0.2 s) while the page does other joining
   * work; resolves to null without one.
   */
  static prepareSecret(passphrase: string | undefined, room: string): Promise<RoomSecret | null> {
    return passphrase ? deriveRoomSecret(passphrase, room) : Promise.resolve(null);
  }

  /** Starts encryption once the relay gave us our session id. */
  static start(room: string, sessionId: string, roomSecret: RoomSecret | null, hooks: MediaCryptoHooks): MediaCrypto {
    const session = new E2eeSession({
      room,
      sessionId,
      roomSecret,
      send: (message) => hooks.sendControl({ keyExchange: toWire(message) }),
    });
    session.addEventListener('keyframe-needed', () => hooks.keyframeNeeded());
    session.addEventListener('keyframe-request', (e) => hooks.requestKeyframeFrom(e.peerId));
    session.addEventListener('peer-security', (e) => hooks.securityChanged(e.peer));
    session.addEventListener('error', (e) => {
      const message =
        e.error.code === 'e2ee-key-mismatch'
          ? 'Someone in this call uses a different passphrase (or the relay tampered with the keys): their media is blocked.'
          : e.error.message;
      hooks.error(new VideoCallError(e.error.code as VideoCallErrorCode, message, { cause: e.error }));
    });
    return new MediaCrypto(session);
  }

  /** True when keys are bound to a passphrase. */
  get passphraseProtected(): boolean {
    return this.session.passphraseProtected;
  }

  securityOf(peerId: string): PeerSecurity {
    return this.session.securityOf(peerId);
  }

  peerJoined(peerId: string): void {
    this.session.onPeerJoined(peerId);
  }

  peerLeft(peerId: string): void {
    this.session.onPeerLeft(peerId);
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
    this.session.receiveKeyExchange(from, received);
  }

  /** Our frame's payload as SFrame ciphertext; `frame` (all but the payload) is authenticated. */
  encrypt(frame: MediaFrameFields, payload: Uint8Array): Promise<Uint8Array> {
    return this.session.encryptFrame(frame, payload);
  }

  /** A received frame's plaintext payload; rejects (drop the frame) on any failure. */
  decrypt(from: string, frame: MediaFrameInit): Promise<Uint8Array> {
    return this.session.decryptFrame(from, frame, frame.payload ?? new Uint8Array(0));
  }

  close(): void {
    this.session.close();
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
