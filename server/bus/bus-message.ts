/**
 * What the relay puts on the bus: a small fixed header with the routing facts,
 * then the sender-stamped envelope exactly as receivers get it. The publishing
 * node decodes each envelope once (to validate and route it); receiving nodes
 * route on this header and send the tail as it is, never decoding again.
 *
 * Format (version 3), integers are single unsigned bytes:
 *
 * | offset    | size | field |
 * |-----------|------|-------|
 * | 0         | 1    | format version, 3 |
 * | 1         | 1    | body type: the envelope's body field number (see `body-types.ts`) |
 * | 2         | 1    | flags: bit 0 = keyframe, bit 1 = droppable (temporal layer above 0; media only) |
 * | 3         | 1    | track kind (`TrackKind`), 0 when not media |
 * | 4         | 1    | simulcast layer (`MediaFrame.layer`), 0 when not media |
 * | 5         | 1    | audio level (`MediaFrame.audio_level`, 0 loudest..127 silence), 127 when not audio |
 * | 6         | 1    | n, length of the sender's session id in bytes |
 * | 7         | 1    | m, length of the publishing relay node's id in bytes |
 * | 8         | n    | sender's session id, ASCII |
 * | 8 + n     | m    | publishing node's id, ASCII |
 * | 8 + n + m | rest | the envelope, `from` stamped with the sender |
 *
 * Receivers need the sender to skip it (media and presence go to everyone else)
 * and to name it in drop decisions; they need kind and keyframe for backpressure,
 * the layer to forward only the layer each receiver watches, and the audio level
 * to choose the loudest speakers (version 2 had neither).
 * The node says which relay a participant is connected to (rosters are kept per
 * node, so a node that dies takes exactly its participants with it) and lets a
 * node ignore its own messages on a bus that echoes them (version 1 had no node).
 */
const FORMAT = 3;
const HEADER_FIXED = 8;
const SENDER_LENGTH_AT = 6;
const NODE_LENGTH_AT = 7;
/** `audio_level` of silence (RFC 6464): what a message that is not audio carries. */
export const SILENT_LEVEL = 127;
const FLAG_KEYFRAME = 1;
const FLAG_DROPPABLE = 2;

/** The routing facts of one bus message. */
export interface BusMeta {
  /** Envelope body field number. */
  body: number;
  keyframe: boolean;
  /** A video frame of a temporal layer above 0: nothing depends on it, so a congested receiver can go without. */
  droppable?: boolean;
  /** `TrackKind` value; 0 when not media. */
  kind: number;
  /** Simulcast layer (0..255); 0 when not media. */
  layer?: number;
  /** Audio level, 0 loudest..127 silence; {@link SILENT_LEVEL} when not audio. */
  level?: number;
}

/** Who published a bus message: the participant and the relay node it is connected to, as ASCII bytes. */
export interface BusOrigin {
  sender: Uint8Array;
  node: Uint8Array;
}

/** A decoded bus message; `envelope` is a view into the payload, not a copy. */
export interface BusMessage extends BusMeta {
  layer: number;
  level: number;
  sender: string;
  /** Id of the relay node that published it. */
  node: string;
  envelope: Uint8Array;
}

/** The payload is not a bus message this relay can read. */
export class BusMessageError extends Error {
  override readonly name = 'BusMessageError';
  readonly code = 'invalid-bus-message';
}

/** Bytes a bus message takes for an envelope of `envelopeBytes` from `origin`. */
export function busMessageLength(origin: BusOrigin, envelopeBytes: number): number {
  return HEADER_FIXED + origin.sender.length + origin.node.length + envelopeBytes;
}

/**
 * Builds a bus message in one allocation: header, then each of `parts` (typically
 * the client's raw envelope and the sender's `senderStamp`, which together are
 * `appendStamp(raw, stamp)` without a second copy).
 */
export function encodeBusMessage(meta: BusMeta, origin: BusOrigin, ...parts: Uint8Array[]): Buffer {
  let length = HEADER_FIXED + origin.sender.length + origin.node.length;
  for (const part of parts) length += part.length;
  // Buffer (a Uint8Array) so views of it go to `ws.send` without conversion.
  const out = Buffer.allocUnsafe(length);
  out[0] = FORMAT;
  out[1] = meta.body;
  out[2] = (meta.keyframe ? FLAG_KEYFRAME : 0) | (meta.droppable ? FLAG_DROPPABLE : 0);
  out[3] = meta.kind;
  out[4] = meta.layer ?? 0;
  out[5] = meta.level ?? SILENT_LEVEL;
  out[SENDER_LENGTH_AT] = origin.sender.length;
  out[NODE_LENGTH_AT] = origin.node.length;
  out.set(origin.sender, HEADER_FIXED);
  let at = HEADER_FIXED + origin.sender.length;
  out.set(origin.node, at);
  at += origin.node.length;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** The envelope part of a payload made by {@link encodeBusMessage}, without decoding the header. */
export function envelopeOf(payload: Buffer, origin: BusOrigin): Buffer {
  return payload.subarray(HEADER_FIXED + origin.sender.length + origin.node.length);
}

/**
 * Whether `payload` was published by the node `node` (ASCII bytes), read from the
 * header without decoding it: how a node skips its own messages on a bus that echoes.
 */
export function isFromNode(payload: Uint8Array, node: Uint8Array): boolean {
  if (payload.length < HEADER_FIXED || payload[NODE_LENGTH_AT] !== node.length) return false;
  const at = HEADER_FIXED + payload[SENDER_LENGTH_AT];
  for (let i = 0; i < node.length; i++) if (payload[at + i] !== node[i]) return false;
  return true;
}

export function decodeBusMessage(payload: Uint8Array): BusMessage {
  if (payload.length < HEADER_FIXED || payload[0] !== FORMAT) throw new BusMessageError('unknown bus message format');
  const senderEnd = HEADER_FIXED + payload[SENDER_LENGTH_AT];
  const start = senderEnd + payload[NODE_LENGTH_AT];
  if (payload.length < start) throw new BusMessageError('truncated bus message');
  const buf = Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  return {
    body: payload[1],
    keyframe: (payload[2] & FLAG_KEYFRAME) !== 0,
    droppable: (payload[2] & FLAG_DROPPABLE) !== 0,
    kind: payload[3],
    layer: payload[4],
    level: payload[5],
    sender: buf.toString('latin1', HEADER_FIXED, senderEnd),
    node: buf.toString('latin1', senderEnd, start),
    envelope: buf.subarray(start),
  };
}
