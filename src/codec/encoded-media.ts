/**
 * The unit that crosses the boundary between the media pipeline and the room:
 * encoders emit it, decoders accept it. The room wraps it into a `MediaFrame`
 * envelope (see `proto/videocall.proto`) and unwraps it on the other side; the
 * wire's enums become these names there, once (`src/call/media-frame-wire.ts`).
 */
import type { CodecName } from './codec-names.js';

/**
 * What a track carries: microphone, camera, a shared screen (its own track, with
 * its own layers), or the shared screen's audio (its own track too: never mixed
 * into the microphone, so it is never taken for someone speaking).
 */
export type MediaKind = 'audio' | 'video' | 'screen' | 'screen-audio';

export type { CodecName };

/** One coded media frame, with the fields of the clear routing header. */
export interface EncodedMedia {
  kind: MediaKind;
  codec: CodecName;
  /** True when the frame decodes on its own (always true for Opus). */
  keyframe: boolean;
  /** Media clock of the track, in microseconds. */
  timestamp: number;
  /** Per track, +1 per frame; a gap means loss. Set by the encode pipelines. */
  sequence?: number;
  /** The codec's output (annex B for H.264). */
  data: Uint8Array;
  /**
   * Temporal layer of a video frame: 0 for frames later ones reference, 1 for
   * frames nothing references (skippable without breaking the picture).
   */
  temporalLayer?: number;
  /**
   * How many frames back (by {@link sequence}) the temporal-layer-0 frame is that
   * this video frame depends on; absent or 0 when unknown (keyframes depend on none).
   * A gap of skipped layer-1 frames does not break a frame whose reference arrived.
   */
  referenceDistance?: number;
  /** Simulcast layer of a video frame (`MediaFrame.layer`): 0 the largest; absent or 0 with one layer. */
  layer?: number;
  /** Coded size of video frames. */
  width?: number;
  height?: number;
  /** Audio level of this packet, 0 (loudest) .. 127 (silence) in -dBov, as in RFC 6464. */
  audioLevel?: number;
  /**
   * When its first sample or its picture was captured, in ms since the epoch on
   * the page's wall clock (`src/shared/clock.ts`): the sender's from encoders,
   * the receiver's once the room has moved it across the relay's clock. Absent
   * when unknown.
   */
  captureTime?: number;
}

/** Sequence numbers are uint32 on the wire; they wrap. */
export const SEQUENCE_MODULO = 2 ** 32;

/** The sequence number that follows `sequence`. */
export function nextSequence(sequence: number): number {
  return (sequence + 1) % SEQUENCE_MODULO;
}

/**
 * How far `sequence` is ahead of `previous`, in the range [-2^31, 2^31):
 * 1 for the next frame, 0 for a duplicate, negative for an older frame.
 */
export function sequenceDelta(sequence: number, previous: number): number {
  let d = (sequence - previous) % SEQUENCE_MODULO;
  if (d < 0) d += SEQUENCE_MODULO;
  return d >= SEQUENCE_MODULO / 2 ? d - SEQUENCE_MODULO : d;
}
