/**
 * Writes a media envelope (`Envelope { media: MediaFrame }`) without the
 * protocol's full codec: the media worker sends the microphone itself, and
 * keeping the generated message tables out of it keeps it small (its code is
 * carried in the bundle), as `audio-peek.ts` does for reading. The bytes are
 * those `encodeEnvelope({ media })` writes for the same fields, in the same
 * order, zeros left out as proto3 leaves them (test/unit/media-envelope-write.test.ts
 * checks that they are equal).
 */
import type { MediaFrameHeader } from './media-frame-wire.js';

/** Tags (field number << 3 | wire type) of proto/videocall.proto's `MediaFrame`, in field order. */
const HEADER_TAGS: readonly [keyof MediaFrameHeader, number][] = [
  ['kind', 1 << 3],
  ['sequence', 2 << 3],
  ['timestamp', 3 << 3],
  ['keyframe', 4 << 3],
  ['codec', 5 << 3],
  ['audioLevel', 6 << 3],
  ['layer', 7 << 3],
  ['width', 8 << 3],
  ['height', 9 << 3],
  ['captureTime', 10 << 3],
  ['temporalLayer', 11 << 3],
  ['referenceDistance', 12 << 3],
];
/** `MediaFrame.payload` (15, length-delimited) and `Envelope.media` (6, length-delimited). */
const PAYLOAD_TAG = (15 << 3) | 2;
const ENVELOPE_MEDIA_TAG = (6 << 3) | 2;

/** Bytes of `value` as a varint (non-negative integers up to 2^53). */
function varintLength(value: number): number {
  let n = 1;
  while (value >= 128) {
    value = Math.floor(value / 128);
    n++;
  }
  return n;
}

function writeVarint(out: Uint8Array, pos: number, value: number): number {
  while (value >= 128) {
    out[pos++] = (value % 128) | 0x80;
    value = Math.floor(value / 128);
  }
  out[pos++] = value;
  return pos;
}

function fieldValue(header: MediaFrameHeader, key: keyof MediaFrameHeader): number {
  const value = header[key];
  return typeof value === 'boolean' ? (value ? 1 : 0) : value;
}

/** The envelope that carries `payload` under `header`. */
export function writeMediaEnvelope(header: MediaFrameHeader, payload: Uint8Array): Uint8Array {
  let frameLength = 0;
  for (const [key, tag] of HEADER_TAGS) {
    const value = fieldValue(header, key);
    if (value !== 0) frameLength += varintLength(tag) + varintLength(value);
  }
  if (payload.length) frameLength += 1 + varintLength(payload.length) + payload.length;
  const out = new Uint8Array(1 + varintLength(frameLength) + frameLength);
  let pos = writeVarint(out, 0, ENVELOPE_MEDIA_TAG);
  pos = writeVarint(out, pos, frameLength);
  for (const [key, tag] of HEADER_TAGS) {
    const value = fieldValue(header, key);
    if (value === 0) continue;
    pos = writeVarint(out, pos, tag);
    pos = writeVarint(out, pos, value);
  }
  if (payload.length) {
    pos = writeVarint(out, pos, PAYLOAD_TAG);
    pos = writeVarint(out, pos, payload.length);
    out.set(payload, pos);
  }
  return out;
}
