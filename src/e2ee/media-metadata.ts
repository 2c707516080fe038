/**
 * The SFrame `metadata` of a media frame (RFC 9605 §4.4.3, §9.4): the clear
 * routing header of `MediaFrame` (proto/videocall.proto) that the relay reads
 * but must not change, in a fixed byte layout. It is authenticated with the
 * frame (AAD = SFrame header || metadata), so a relay that flips the keyframe
 * flag, shifts a timestamp, relabels audio as video or re-stamps the frame as
 * another participant's makes it fail to decrypt.
 *
 * What is bound, and why:
 * - the sender's session id: the relay stamps `from` on what it forwards, and an
 *   honest sender knows its own id (from `Welcome`); a receiver uses the stamped
 *   `from`. If the relay re-stamps a frame as someone else's, the two differ.
 * - every `MediaFrame` field but `payload`: kind, codec, keyframe, audio level,
 *   sequence, timestamp, layer, width, height, capture time (a relay that shifts
 *   it would skew the receiver's delay figures and lip sync), temporal layer. The relay forwards envelopes as
 *   they are (it only appends the `from` stamp), so it never needs to rewrite
 *   any of them; if it one day must (say, rewrite `sequence` when switching
 *   simulcast layers), that field leaves this list and the version byte changes.
 *
 * The layout (big-endian), 39 bytes then the sender id:
 * `version(1)=2 | kind(1) | codec(1) | flags(1: bit0 keyframe) | audioLevel(1) |
 *  sequence(4) | timestamp(8, µs) | layer(4) | width(4) | height(4) |
 *  captureTime(8, µs) | temporalLayer(1) | senderIdLength(1) | senderId(UTF-8)`.
 * (Version 1 had neither capture time nor temporal layer.)
 * It is not the protobuf encoding on purpose: protobuf has no canonical form
 * (defaults may or may not be written), and both ends must produce these bytes
 * exactly.
 */
import { utf8 } from './bytes.js';
import { E2eeError } from './errors.js';

/** Version byte of the metadata layout. */
export const MEDIA_METADATA_VERSION = 2;

/**
 * The clear routing header of a media frame: the `MediaFrame` fields of
 * proto/videocall.proto other than `payload`. Missing fields count as 0/false,
 * as protobuf decodes them.
 */
export interface MediaFrameFields {
  /** `TrackKind` (1 audio, 2 video, 3 screen, 4 screen audio). */
  kind?: number | null;
  /** `Codec`. */
  codec?: number | null;
  keyframe?: boolean | null;
  /** 0 (loudest) .. 127 (silence). */
  audioLevel?: number | null;
  sequence?: number | null;
  /** Media clock of the track in microseconds. */
  timestamp?: number | null;
  layer?: number | null;
  width?: number | null;
  height?: number | null;
  /** Capture time on the relay's clock, µs since the epoch; 0 when unknown. */
  captureTime?: number | null;
  /** 0 for referenced frames, 1 for frames nothing references. */
  temporalLayer?: number | null;
}

function u8(value: number | null | undefined, name: string): number {
  const v = value ?? 0;
  if (!Number.isInteger(v) || v < 0 || v > 0xff)
    throw new E2eeError('e2ee-malformed', `Media frame ${name} ${v} is not 0..255.`);
  return v;
}

function u32(value: number | null | undefined, name: string): number {
  const v = value ?? 0;
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    throw new E2eeError('e2ee-malformed', `Media frame ${name} ${v} is not a uint32.`);
  }
  return v;
}

/**
 * The metadata bytes for a frame sent by `senderId`.
 * Throws `e2ee-malformed` for a field out of its wire range or a sender id
 * longer than 255 bytes.
 *
 * @example
 * ```ts
 * const aad = mediaFrameMetadata(room.sessionId, { kind: 2, codec: 2, keyframe: true, timestamp: 0, width: 1280, height: 720 });
 * ```
 */
export function mediaFrameMetadata(senderId: string, frame: MediaFrameFields): Uint8Array {
  const id = utf8(senderId);
  if (id.length === 0 || id.length > 0xff) {
    throw new E2eeError('e2ee-malformed', `Sender id must be 1..255 bytes, not ${id.length}.`);
  }
  const timestamp = frame.timestamp ?? 0;
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new E2eeError('e2ee-malformed', `Media frame timestamp ${timestamp} is not a non-negative integer.`);
  }
  const captureTime = frame.captureTime ?? 0;
  if (!Number.isSafeInteger(captureTime) || captureTime < 0) {
    throw new E2eeError('e2ee-malformed', `Media frame capture time ${captureTime} is not a non-negative integer.`);
  }
  const out = new Uint8Array(39 + id.length);
  const view = new DataView(out.buffer);
  out[0] = MEDIA_METADATA_VERSION;
  out[1] = u8(frame.kind, 'kind');
  out[2] = u8(frame.codec, 'codec');
  out[3] = frame.keyframe ? 1 : 0;
  out[4] = u8(frame.audioLevel, 'audio level');
  view.setUint32(5, u32(frame.sequence, 'sequence'));
  view.setBigUint64(9, BigInt(timestamp));
  view.setUint32(17, u32(frame.layer, 'layer'));
  view.setUint32(21, u32(frame.width, 'width'));
  view.setUint32(25, u32(frame.height, 'height'));
  view.setBigUint64(29, BigInt(captureTime));
  out[37] = u8(frame.temporalLayer, 'temporal layer');
  out[38] = id.length;
  out.set(id, 39);
  return out;
}
