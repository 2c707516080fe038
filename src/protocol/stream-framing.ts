/**
 * Envelopes on a byte stream (the WebTransport session's control stream, and
 * framed media streams): each one preceded by its length as a 4-byte big-endian
 * unsigned integer. WebSocket messages, WebTransport datagrams and one-envelope
 * streams carry their own boundaries and need none of this.
 */
import { withLengthPrefix } from '../shared/bytes.js';

/** Bytes of the length prefix. */
export const LENGTH_PREFIX_BYTES = 4;

/** `bytes` with its length prefix, ready to write to a stream. */
export function lengthPrefixed(bytes: Uint8Array): Uint8Array {
  return withLengthPrefix(bytes, LENGTH_PREFIX_BYTES);
}

/** A length prefix announced a message above the reader's limit. */
export class FrameTooLargeError extends Error {
  readonly code = 'too-large';
  constructor(
    readonly length: number,
    readonly max: number,
  ) {
    super(`a ${length}-byte message on the stream is more than the ${max} bytes allowed`);
    this.name = 'FrameTooLargeError';
  }
}

/**
 * Reassembles length-prefixed messages from stream chunks of any size. A length
 * above `maxMessageBytes` throws {@link FrameTooLargeError} before anything of
 * that message is buffered; the stream is then unusable (its framing is lost).
 *
 * Chunks are kept as they come and each message is copied out once, when it is
 * complete: a keyframe arriving in a hundred packet-sized chunks costs one copy,
 * not a hundred growing ones.
 */
export class LengthPrefixedReader {
  private parts: Uint8Array[] = [];
  /** Bytes of `parts[0]` already consumed. */
  private offset = 0;
  private buffered = 0;
  /** Length of the message being read, once its prefix is complete; -1 before. */
  private need = -1;
  private failed = false;

  constructor(private readonly maxMessageBytes: number) {}

  /** Bytes held for a message not complete yet (its prefix included). */
  get pending(): number {
    return this.buffered;
  }

  /** Adds a chunk; returns the messages it completed, in order. */
  push(chunk: Uint8Array): Uint8Array[] {
    if (this.failed || chunk.length === 0) return [];
    this.parts.push(chunk);
    this.buffered += chunk.length;
    const out: Uint8Array[] = [];
    for (;;) {
      if (this.need < 0) {
        if (this.buffered < LENGTH_PREFIX_BYTES) break;
        const prefix = this.take(LENGTH_PREFIX_BYTES);
        const length = new DataView(prefix.buffer, prefix.byteOffset, LENGTH_PREFIX_BYTES).getUint32(0);
        if (length > this.maxMessageBytes) {
          this.failed = true;
          this.parts = [];
          this.buffered = 0;
          throw new FrameTooLargeError(length, this.maxMessageBytes);
        }
        this.need = length;
      }
      if (this.buffered < this.need) break;
      out.push(this.take(this.need));
      this.need = -1;
    }
    return out;
  }

  /**
   * The next `n` buffered bytes, as a copy: the caller may keep messages while a
   * chunk's buffer is reused.
   */
  private take(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let at = 0;
    while (at < n) {
      const part = this.parts[0]!;
      const count = Math.min(n - at, part.length - this.offset);
      out.set(part.subarray(this.offset, this.offset + count), at);
      at += count;
      this.offset += count;
      if (this.offset === part.length) {
        this.parts.shift();
        this.offset = 0;
      }
    }
    this.buffered -= n;
    return out;
  }
}

/**
 * First byte of a framed media stream. A stream that carries one envelope starts
 * with the envelope itself, whose first byte is a protobuf field tag and never 0:
 * so one byte tells the two kinds apart, and a peer that sends only one-envelope
 * streams needs no change.
 */
export const FRAMED_STREAM_MARKER = 0;

/**
 * The header that opens a framed media stream: the marker, then (length-prefixed
 * like everything after it) the stream's lane as a 4-byte big-endian integer.
 * What follows are envelopes, each length-prefixed, all of one lane (one
 * publisher's track, numbered by the sender). A newer stream on a lane
 * supersedes the older one: a video track's group of pictures goes on one
 * stream from its keyframe, and the next keyframe starts the next stream, so a
 * frame costs a write, not a stream's setup.
 *
 * Read it with a {@link LengthPrefixedReader} after the marker: its first
 * message is the lane ({@link laneOf}), the others envelopes.
 */
export function framedStreamHeader(lane: number): Uint8Array {
  const header = new Uint8Array(1 + LENGTH_PREFIX_BYTES + 4);
  const view = new DataView(header.buffer);
  header[0] = FRAMED_STREAM_MARKER;
  view.setUint32(1, 4);
  view.setUint32(1 + LENGTH_PREFIX_BYTES, lane >>> 0);
  return header;
}

/** The lane a framed stream's first message names. */
export function laneOf(message: Uint8Array): number {
  return message.length === 4 ? new DataView(message.buffer, message.byteOffset, 4).getUint32(0) : -1;
}
