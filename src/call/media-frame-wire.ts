/**
 * The wire boundary of media: a `MediaFrame` (proto/videocall.proto) to and
 * from the media pipeline's {@link EncodedMedia}. The wire's `TrackKind` and
 * `Codec` enums become the pipeline's names here, and only here. The enum
 * values are written out rather than taken from the generated code, so the
 * media worker can use this module without carrying the protocol's message
 * tables (test/unit/media-envelope-write.test.ts checks them against it).
 */
import type { VideoCodecName } from '../codec/codec-support.js';
import type { CodecName, EncodedMedia, MediaKind } from '../codec/encoded-media.js';
import type { MediaFrameInit } from '../protocol/envelope.js';
import type { videocall } from '../protocol/gen/videocall.js';

/** `Codec` of proto/videocall.proto. */
const CODEC_TO_WIRE: Readonly<Record<CodecName, videocall.Codec>> = {
  opus: 1,
  vp8: 2,
  vp9: 3,
  av1: 4,
  h264: 5,
};

/** `TrackKind` of proto/videocall.proto. */
const KIND_TO_WIRE: Readonly<Record<MediaKind, videocall.TrackKind>> = {
  audio: 1,
  video: 2,
  screen: 3,
  'screen-audio': 4,
};

/** `table` read backwards: wire value → name. */
function inverse<N extends string>(table: Readonly<Record<N, number>>): ReadonlyMap<number, N> {
  return new Map(Object.entries<number>(table).map(([name, value]) => [value, name as N]));
}

const CODEC_FROM_WIRE = inverse(CODEC_TO_WIRE);
const KIND_FROM_WIRE = inverse(KIND_TO_WIRE);

/** The wire (`Codec` enum) value of a codec. */
export function codecToWire(codec: CodecName): videocall.Codec {
  return CODEC_TO_WIRE[codec];
}

/** The codec of a wire `Codec` value; null for an unset or unknown one. */
export function codecFromWire(value: number | null | undefined): CodecName | null {
  return CODEC_FROM_WIRE.get(value ?? 0) ?? null;
}

/** The video codec of a wire `Codec` value (as in `Join.decoders`); null for Opus, unset or unknown. */
export function videoCodecFromWire(value: number | null | undefined): VideoCodecName | null {
  const codec = codecFromWire(value);
  return codec === 'opus' ? null : codec;
}

/** The wire (`TrackKind` enum) value of a media kind. */
export function mediaKindToWire(kind: MediaKind): videocall.TrackKind {
  return KIND_TO_WIRE[kind];
}

/** The media kind of a wire `TrackKind` value; null for an unset or unknown one. */
export function mediaKindFromWire(value: number | null | undefined): MediaKind | null {
  return KIND_FROM_WIRE.get(value ?? 0) ?? null;
}

/** Every field of a `MediaFrame` but `payload`, each set (see {@link mediaFrameHeader}). */
export interface MediaFrameHeader {
  kind: videocall.TrackKind;
  sequence: number;
  timestamp: number;
  keyframe: boolean;
  codec: videocall.Codec;
  audioLevel: number;
  layer: number;
  width: number;
  height: number;
  captureTime: number;
  temporalLayer: number;
  referenceDistance: number;
}

/**
 * The clear routing header of the `MediaFrame` that carries `media` (all but
 * `payload`). Every field is set explicitly: with E2EE they are authenticated
 * as sent.
 */
export function mediaFrameHeader(media: EncodedMedia, relayClockOffsetMs = 0): MediaFrameHeader {
  return {
    kind: mediaKindToWire(media.kind),
    sequence: media.sequence ?? 0,
    timestamp: media.timestamp,
    keyframe: media.keyframe,
    codec: codecToWire(media.codec),
    audioLevel: media.audioLevel ?? 127,
    layer: media.layer ?? 0,
    width: media.width ?? 0,
    height: media.height ?? 0,
    captureTime: media.captureTime ? Math.max(0, Math.round((media.captureTime + relayClockOffsetMs) * 1000)) : 0,
    temporalLayer: media.temporalLayer ?? 0,
    referenceDistance: media.referenceDistance ?? 0,
  };
}

/**
 * A received frame as the decoders take it, absent fields at their protobuf
 * defaults (the audio level at 127, silence); null when it has no payload or a
 * kind or codec this client does not know. Its capture time (on the relay's
 * clock on the wire) comes onto ours with `relayClockOffsetMs` (relay − ours).
 */
export function encodedMediaOf(frame: MediaFrameInit, relayClockOffsetMs = 0): EncodedMedia | null {
  const kind = mediaKindFromWire(frame.kind);
  const codec = codecFromWire(frame.codec);
  if (!kind || !codec || !frame.payload) return null;
  return {
    kind,
    codec,
    keyframe: !!frame.keyframe,
    timestamp: frame.timestamp ?? 0,
    sequence: frame.sequence ?? 0,
    layer: frame.layer ?? 0,
    data: frame.payload,
    width: frame.width ?? 0,
    height: frame.height ?? 0,
    audioLevel: frame.audioLevel ?? 127,
    captureTime: frame.captureTime ? frame.captureTime / 1000 - relayClockOffsetMs : undefined,
    temporalLayer: frame.temporalLayer ?? 0,
    referenceDistance: frame.referenceDistance ?? 0,
  };
}

/** What the transport said of a received frame (see `Transport.onmessage`), kept on the frame itself. */
const CONSUMED = Symbol('consumed in the media worker');
const RECEIVED_AT = Symbol('read from the network at');

interface Marked {
  [CONSUMED]?: true;
  [RECEIVED_AT]?: number;
}

/**
 * Notes on a received frame whether the media worker already decoded and played
 * it (the page then only keeps count of it), and when the transport read it,
 * where that was before the page saw it. Copies made with `{ ...frame }` keep both.
 */
export function markReceived(frame: object, consumed: boolean, receivedAt: number | undefined): void {
  if (consumed) (frame as Marked)[CONSUMED] = true;
  if (receivedAt !== undefined) (frame as Marked)[RECEIVED_AT] = receivedAt;
}

/** Whether the media worker already decoded and played `frame`. */
export function wasConsumed(frame: object): boolean {
  return (frame as Marked)[CONSUMED] === true;
}

/** When `frame` was read from the network (wall clock ms); `now` when the page read it itself. */
export function receivedAt(frame: object, now: number): number {
  return (frame as Marked)[RECEIVED_AT] ?? now;
}
