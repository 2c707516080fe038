/**
 * Capsules (RFC 9297 §3) on a WebTransport session's CONNECT stream, carried in
 * the payload of DATA frames: type, length, value. This endpoint acts on
 * CLOSE_WEBTRANSPORT_SESSION and DRAIN_WEBTRANSPORT_SESSION and skips the rest
 * (DATAGRAM capsules, the flow-control capsules of later drafts, GREASE).
 */
import { H3Error, H3ErrorCode, streamError } from './errors.js';
import { encodeFrame, FrameReader, type Frame } from './h3-frames.js';

export const CapsuleType = {
  Datagram: 0x00,
  CloseWebTransportSession: 0x2843,
  DrainWebTransportSession: 0x78ae,
} as const;

/** Longest close reason on the wire (draft-ietf-webtrans-http3 §5). */
export const MAX_CLOSE_REASON_BYTES = 1024;

/** Longest capsule this endpoint reads: a close capsule with the longest reason, with room to spare. */
const MAX_CAPSULE_BYTES = 4 + MAX_CLOSE_REASON_BYTES + 64;

/** A capsule: same shape as a frame. */
export type Capsule = Frame;

/** A capsule's bytes. */
export function encodeCapsule(type: number, value: Uint8Array): Uint8Array {
  return encodeFrame(type, value);
}

/** CLOSE_WEBTRANSPORT_SESSION: a 32-bit application error code, then a UTF-8 reason. */
export function encodeCloseSession(code: number, reason: string): Uint8Array {
  const text = truncateUtf8(reason, MAX_CLOSE_REASON_BYTES);
  const value = new Uint8Array(4 + text.length);
  new DataView(value.buffer).setUint32(0, code >>> 0);
  value.set(text, 4);
  return encodeCapsule(CapsuleType.CloseWebTransportSession, value);
}

export function encodeDrainSession(): Uint8Array {
  return encodeCapsule(CapsuleType.DrainWebTransportSession, new Uint8Array(0));
}

/** @throws {@link H3Error} `MessageError` (stream) when shorter than the code or the reason is too long. */
export function parseCloseSession(value: Uint8Array): { code: number; reason: string } {
  if (value.length < 4) throw streamError(H3ErrorCode.MessageError, 'CLOSE_WEBTRANSPORT_SESSION shorter than 4 bytes');
  if (value.length - 4 > MAX_CLOSE_REASON_BYTES) {
    throw streamError(H3ErrorCode.MessageError, 'CLOSE_WEBTRANSPORT_SESSION reason longer than 1024 bytes');
  }
  const code = new DataView(value.buffer, value.byteOffset, value.byteLength).getUint32(0);
  const reason = new TextDecoder('utf-8', { fatal: false }).decode(value.subarray(4));
  return { code, reason };
}

/** Cuts the concatenated DATA payloads of a CONNECT stream into capsules. */
export function createCapsuleReader(): FrameReader {
  return new FrameReader({
    limits: new Map([
      [CapsuleType.CloseWebTransportSession, MAX_CAPSULE_BYTES],
      [CapsuleType.DrainWebTransportSession, MAX_CAPSULE_BYTES],
    ]),
    reject: () => undefined,
    tooLarge: (message: string): H3Error => streamError(H3ErrorCode.MessageError, `capsule ${message}`),
  });
}

/** The UTF-8 bytes of `text`, cut at a character boundary to at most `max` bytes. */
function truncateUtf8(text: string, max: number): Uint8Array {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length <= max) return bytes;
  let end = max;
  // Step back over continuation bytes (10xxxxxx) so no character is split.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end);
}
