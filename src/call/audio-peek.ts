/**
 * Reads a microphone packet out of an encoded envelope without the protocol's
 * full codec: the media worker looks at every envelope it receives, and only
 * needs the sender and an Opus `MediaFrame`'s fields to decode it. Keeping the
 * generated message tables out of the worker keeps it small (the worker's code
 * is carried in the bundle). Field numbers are those of proto/videocall.proto;
 * test/unit/audio-peek.test.ts checks this reader against the real codec.
 */
import type { EncodedMedia } from '../codec/encoded-media.js';

/** `Envelope.from`, `Envelope.media`. */
const ENVELOPE_FROM = 1;
const ENVELOPE_MEDIA = 6;
/** `TrackKind.AUDIO`, `Codec.OPUS`. */
const AUDIO = 1;
const OPUS = 1;

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_BYTES = 2;
const WIRE_FIXED32 = 5;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A microphone packet and who sent it (the relay's stamp). */
export interface PeekedAudio {
  from: string;
  media: EncodedMedia;
}

/** Thrown inside: the bytes are not what they should be. */
class Malformed extends Error {}

class Reader {
  pos: number;
  constructor(
    readonly bytes: Uint8Array,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  /** A varint as a number (exact up to 2^53, as the protocol's 64-bit fields are read elsewhere). */
  varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new Malformed();
      const byte = this.bytes[this.pos++]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
    }
    throw new Malformed();
  }

  /** The span of a length-delimited field. */
  span(): [number, number] {
    const length = this.varint();
    const start = this.pos;
    if (length > this.end - start) throw new Malformed();
    this.pos = start + length;
    return [start, this.pos];
  }

  skip(wire: number): void {
    if (wire === WIRE_VARINT) this.varint();
    else if (wire === WIRE_BYTES) this.span();
    else if (wire === WIRE_FIXED64) this.advance(8);
    else if (wire === WIRE_FIXED32) this.advance(4);
    else throw new Malformed(); // groups: never in this protocol
  }

  private advance(n: number): void {
    if (this.pos + n > this.end) throw new Malformed();
    this.pos += n;
  }
}

/**
 * The sender and microphone packet `bytes` carries; null for any other
 * envelope (another body, another track kind or codec, no payload) and for
 * bytes that do not parse (the page's decoder then judges them).
 */
export function peekAudio(bytes: Uint8Array): PeekedAudio | null {
  try {
    const envelope = new Reader(bytes, 0, bytes.length);
    let from = '';
    let media: [number, number] | null = null;
    while (envelope.pos < envelope.end) {
      const tag = envelope.varint();
      const field = Math.floor(tag / 8);
      const wire = tag & 7;
      if (field === ENVELOPE_FROM && wire === WIRE_BYTES) {
        const [start, end] = envelope.span();
        from = utf8.decode(bytes.subarray(start, end)); // the last one wins: the relay's stamp
      } else if (field === ENVELOPE_MEDIA && wire === WIRE_BYTES) {
        if (media) return null; // split across two fields: leave merging to the real codec
        media = envelope.span();
      } else if (field >= 2 && field <= 49 && wire === WIRE_BYTES && field !== ENVELOPE_MEDIA) {
        return null; // another body of the oneof
      } else envelope.skip(wire);
    }
    return media ? audioOf(from, new Reader(bytes, media[0], media[1])) : null;
  } catch (error) {
    if (error instanceof Malformed || error instanceof TypeError) return null;
    throw error;
  }
}

function audioOf(from: string, frame: Reader): PeekedAudio | null {
  // Absent fields read as protobuf defaults (0), as the codec reads them.
  const f = { kind: 0, sequence: 0, timestamp: 0, keyframe: false, codec: 0, audioLevel: 0, captureTime: 0 };
  let payload: Uint8Array | null = null;
  while (frame.pos < frame.end) {
    const tag = frame.varint();
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (wire === WIRE_VARINT && field >= 1 && field <= 12) {
      const value = frame.varint();
      if (field === 1) f.kind = value;
      else if (field === 2) f.sequence = value % 2 ** 32;
      else if (field === 3) f.timestamp = value;
      else if (field === 4) f.keyframe = value !== 0;
      else if (field === 5) f.codec = value;
      else if (field === 6) f.audioLevel = value % 2 ** 32;
      else if (field === 10) f.captureTime = value;
    } else if (field === 15 && wire === WIRE_BYTES) {
      const [start, end] = frame.span();
      payload = frame.bytes.subarray(start, end);
    } else frame.skip(wire);
  }
  if (f.kind !== AUDIO || f.codec !== OPUS || !payload) return null;
  return {
    from,
    media: {
      kind: 'audio',
      codec: 'opus',
      keyframe: f.keyframe,
      timestamp: f.timestamp,
      sequence: f.sequence,
      data: payload,
      audioLevel: f.audioLevel,
      ...(f.captureTime ? { captureTime: f.captureTime / 1000 } : {}),
    },
  };
}
