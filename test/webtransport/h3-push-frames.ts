/**
 * Encoders of the HTTP/3 push frames (RFC 9114 §7.2.3, 7.2.5, 7.2.7), for tests
 * acting as a client or a misbehaving peer: the relay never pushes, so it never
 * sends these; it only reads (and refuses) them.
 */
import { encodeFrame, FrameType } from '../../server/webtransport/h3-frames.js';
import { concatBytes, encodeVarint } from '../../server/webtransport/varint.js';

/** MAX_PUSH_ID (a client's). */
export function encodeMaxPushId(id: number): Uint8Array {
  return encodeFrame(FrameType.MaxPushId, encodeVarint(id));
}

export function encodeCancelPush(id: number): Uint8Array {
  return encodeFrame(FrameType.CancelPush, encodeVarint(id));
}

export function encodePushPromise(pushId: number, fieldSection: Uint8Array): Uint8Array {
  return encodeFrame(FrameType.PushPromise, concatBytes([encodeVarint(pushId), fieldSection]));
}
