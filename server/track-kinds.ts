/**
 * How the relay treats each `TrackKind` (proto/videocall.proto): which kinds it
 * routes at all, and which travel like audio (small Opus packets that each decode
 * alone: sent first, dropped under congestion without waiting for a keyframe, as
 * WebTransport datagrams).
 */
import { TrackKind } from '../src/protocol/index.js';

/** The kinds this relay routes; a frame of another kind from the bus is refused (counted). */
export function isKnownKind(kind: number): boolean {
  return kind >= TrackKind.AUDIO && kind <= TrackKind.SCREEN_AUDIO;
}

/**
 * A set of track kinds as the bits of one number. A connection keeps several
 * (muted, locked, refused kinds), and an empty `Set` alone costs about ten
 * times the memory of this object. Kinds past 30 (never valid) share one bit.
 */
export class KindSet {
  private bits = 0;

  has(kind: number): boolean {
    return (this.bits & bitOf(kind)) !== 0;
  }

  add(kind: number): void {
    this.bits |= bitOf(kind);
  }

  delete(kind: number): void {
    this.bits &= ~bitOf(kind);
  }
}

const bitOf = (kind: number): number => 1 << Math.min(Math.max(kind, 0), 31);

/** A microphone or a screen share's audio. */
export function isAudioKind(kind: number): boolean {
  return kind === TrackKind.AUDIO || kind === TrackKind.SCREEN_AUDIO;
}
