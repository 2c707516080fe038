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

/** A microphone or a screen share's audio. */
export function isAudioKind(kind: number): boolean {
  return kind === TrackKind.AUDIO || kind === TrackKind.SCREEN_AUDIO;
}
