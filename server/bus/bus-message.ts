/**
 * What the relay puts on the bus: a small fixed header with the routing facts,
 * then the sender-stamped envelope exactly as receivers get it. The publishing
 * node decodes each envelope once (to validate and route it); receiving nodes
 * route on this header and send the tail as it is, never decoding again.
 *
 * Format (version 1), integers are single unsigned bytes:
 *
 * | offset | size | field |
 * |--------|------|-------|
 * | 0      | 1    | format version, 1 |
 * | 1      | 1    | body type: the envelope's body field number (see `body-types.ts`) |
 * | 2      | 1    | flags: bit 0 = keyframe (media only) |
 * | 3      | 1    | track kind (`TrackKind`), 0 when not media |
 * | 4      | 1    | n, length of the sender's session id in bytes |
 * | 5      | n    | sender's session id, ASCII |
 * | 5 + n  | rest | the envelope, `from` stamped with the sender |
 *
 * Receivers need the sender to skip it (media and presence go to everyone else)
 * and to name it in drop decisions; they need kind and keyframe for backpressure.
 */
const FORMAT = 1;
const HEADER_FIXED = 5;
const FLAG_KEYFRAME = 1;

/** The routing facts of one bus message. */
export interface BusMeta {
  /** Envelope body field number. */
  body: number;
  keyframe: boolean;
  /** `TrackKind` value; 0 when not media. */
  kind: number;
}

/** A decoded bus message; `envelope` is a view into the payload, not a copy. */
export interface BusMessage extends BusMeta {
  sender: string;
  envelope: Uint8Array;
}

/** The payload is not a bus message this relay can read. */
export class BusMessageError extends Error {
  override readonly name = 'BusMessageError';
  readonly code = 'invalid-bus-message';
}

/**
 * Builds a bus message in one allocation: header, then each of `parts` (typically
 * the client's raw envelope and the sender's `senderStamp`, which together are
 * `appendStamp(raw, stamp)` without a second copy).
 *
 * @param senderId the sender's session id as ASCII bytes (precomputed per session)
 */
export function encodeBusMessage(meta: BusMeta, senderId: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  let length = HEADER_FIXED + senderId.length;
  for (const part of parts) length += part.length;
  // Buffer (a Uint8Array) so views of it go to `ws.send` without conversion.
  const out = Buffer.allocUnsafe(length);
  out[0] = FORMAT;
  out[1] = meta.body;
  out[2] = meta.keyframe ? FLAG_KEYFRAME : 0;
  out[3] = meta.kind;
  out[4] = senderId.length;
  out.set(senderId, HEADER_FIXED);
  let at = HEADER_FIXED + senderId.length;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

export function decodeBusMessage(payload: Uint8Array): BusMessage {
  if (payload.length < HEADER_FIXED || payload[0] !== FORMAT) throw new BusMessageError('unknown bus message format');
  const idLength = payload[4];
  const start = HEADER_FIXED + idLength;
  if (payload.length < start) throw new BusMessageError('truncated bus message');
  const buf = Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  return {
    body: payload[1],
    keyframe: (payload[2] & FLAG_KEYFRAME) !== 0,
    kind: payload[3],
    sender: buf.toString('latin1', HEADER_FIXED, start),
    envelope: buf.subarray(start),
  };
}
