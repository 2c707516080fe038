/** Events of an `E2eeContext`. */
import type { E2eeError } from './errors.js';

/** How far a peer's keys are trusted. */
export type PeerVerification =
  /** Key exchange under way: no keys either way yet. */
  | 'pending'
  /** Keys exchanged without a passphrase: compare {@link PeerSecurity.safetyCode} aloud to be sure. */
  | 'unverified'
  /** Keys bound to the room passphrase, or the safety code was confirmed. */
  | 'verified'
  /** Verification failed (wrong passphrase, or keys replaced on the way): nothing is exchanged with this peer. */
  | 'mismatch';

/** What we know about a peer's keys, for the UI. */
export interface PeerSecurity {
  peerId: string;
  status: PeerVerification;
  /** "1234 5678", the same on both sides unless someone is in the middle; null until keys are exchanged. */
  safetyCode: string | null;
}

/**
 * Send a keyframe now: our key changed (someone left) or a peer just received
 * our key and has nothing it can decode yet.
 */
export class KeyframeNeededEvent extends Event {
  constructor(readonly reason: 'key-rotated' | 'peer-keyed') {
    super('keyframe-needed');
  }
}

/** Ask `peerId` for a keyframe: we dropped its frames for want of a key, and now have the key. */
export class KeyframeRequestEvent extends Event {
  constructor(readonly peerId: string) {
    super('keyframe-request');
  }
}

/** A peer's verification status or safety code changed. */
export class PeerSecurityEvent extends Event {
  constructor(readonly peer: PeerSecurity) {
    super('peer-security');
  }
}

/** Key exchange with `peerId` failed; `error.code` is `e2ee-key-mismatch`. Frames are not affected. */
export class E2eeErrorEvent extends Event {
  constructor(
    readonly error: E2eeError,
    readonly peerId: string,
  ) {
    super('error');
  }
}

/** Events of an `E2eeContext`, by type. */
export interface E2eeEventMap {
  'keyframe-needed': KeyframeNeededEvent;
  'keyframe-request': KeyframeRequestEvent;
  'peer-security': PeerSecurityEvent;
  error: E2eeErrorEvent;
  // Indexed so the map satisfies Record<string, Event>, as `RoomEventMap` does.
  [type: string]: Event;
}
