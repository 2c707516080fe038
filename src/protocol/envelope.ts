/**
 * Encoding and decoding of the wire envelope, shared by the relay and the client.
 * The generated code lives in `./gen/` (made by `scripts/gen-proto.mjs`, not committed),
 * over the codec in `./wire-codec.ts`.
 */
import { videocall } from './gen/videocall.js';

export const Envelope = videocall.Envelope;
export const TrackKind = videocall.TrackKind;
export const Codec = videocall.Codec;
export const ModerationAction = videocall.ModerationAction;

/** Plain-object shape of each message, as the generated code accepts it. */
export type EnvelopeInit = videocall.Envelope.$Properties;
export type JoinInit = videocall.Join.$Properties;
export type WelcomeInit = videocall.Welcome.$Properties;
export type ParticipantInit = videocall.Participant.$Properties;
export type MediaFrameInit = videocall.MediaFrame.$Properties;
export type MediaStateInit = videocall.MediaState.$Properties;
export type ErrorInit = videocall.Error.$Properties;
export type ModerationInit = videocall.Moderation.$Properties;

/** A decoded envelope. */
export type DecodedEnvelope = videocall.Envelope;
/** Which message an envelope carries. */
export type BodyKind = NonNullable<videocall.Envelope['body']>;

export function encodeEnvelope(message: EnvelopeInit): Uint8Array {
  return Envelope.encode(message).finish();
}

/**
 * Decodes one envelope. Throws (a `RangeError`, or an `Error`) on
 * bytes that are not a valid envelope; callers turn that into a `malformed` error.
 * `payload` bytes are views into `bytes`, not copies.
 */
export function decodeEnvelope(bytes: Uint8Array): DecodedEnvelope {
  return Envelope.decode(bytes);
}

const textEncoder = new TextEncoder();

/**
 * Bytes that, appended to an encoded envelope, set its `from` field (field 1,
 * length-delimited) to `sessionId`. Protobuf keeps the last occurrence of a
 * scalar field, so appending overrides whatever sender a client wrote without
 * re-encoding the whole message: that is how the relay stamps senders cheaply.
 */
export function senderStamp(sessionId: string): Uint8Array {
  const id = textEncoder.encode(sessionId);
  if (id.length > 127) throw new RangeError('session id too long for a one-byte length');
  const stamp = new Uint8Array(2 + id.length);
  stamp[0] = (1 << 3) | 2; // field 1, wire type 2 (length-delimited)
  stamp[1] = id.length;
  stamp.set(id, 2);
  return stamp;
}

/** `bytes` followed by `stamp` (see {@link senderStamp}) in one new buffer. */
export function appendStamp(bytes: Uint8Array, stamp: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length + stamp.length);
  out.set(bytes, 0);
  out.set(stamp, bytes.length);
  return out;
}
